"""Tests for classifier.text.sentences: lossless splitting (issue 2, "Sentences")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.text.sentences import split_sentences

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说：“今天下雨。”明天晴", ["他说：“今天下雨。”", "明天晴"]),
        ("真的吗？！是的。", ["真的吗？！", "是的。"]),
        ("等等……然后呢", ["等等……", "然后呢"]),
        ("一；二;三", ["一；", "二;", "三"]),
        ("第一段\n\n第二段\r\n第三段", ["第一段", "第二段", "第三段"]),
        ("（注：见上文。）下文", ["（注：见上文。）", "下文"]),
        ("他说：“好！”。接着", ["他说：“好！”。", "接着"]),
        ("Great!Thanks", ["Great!Thanks"]),  # ASCII mark glued to a word: not an end
        ("Great! Thanks", ["Great!", "Thanks"]),
        ("访问 a.cn/x?id=1 查看。好", ["访问 a.cn/x?id=1 查看。", "好"]),
        ("晚会以《中国，一定行！》收尾。完", ["晚会以《中国，一定行！》收尾。", "完"]),
        ("  ", []),
        ("", []),
    ],
)
def test_split_examples(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_are_stripped_and_nonempty() -> None:
    for s in split_sentences(" 甲。 \u3000乙！\n\n 丙 "):
        assert s == s.strip()
        assert s


# Text built mostly from the characters the splitter cares about, plus anything at all.
_interesting = st.sampled_from(list("。！？；…!?;”’」』）)】》《“（ \n\r\t\u3000，a1/甲乙丙"))
_texts = st.one_of(st.text(), st.lists(_interesting, max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_split_is_lossless_and_total(text: str) -> None:
    sentences = split_sentences(text)
    assert _squash("".join(sentences)) == _squash(text)
    assert all(s and s == s.strip() for s in sentences)


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_sentences_are_ordered_slices(text: str) -> None:
    pos = 0
    for s in split_sentences(text):
        found = text.find(s, pos)
        assert found >= 0
        assert text[pos:found].strip() == ""  # only whitespace between sentences
        pos = found + len(s)
    assert text[pos:].strip() == ""
