"""Tokens: rjieba segmentation with the user dictionary, parity with jieba, char n-grams."""

from __future__ import annotations

import json
import re
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.text.normalize import normalize_text
from classifier.text.tokens import char_ngrams, cut, load_jieba_reference, user_dictionary, words
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def jieba_ref() -> object:
    return load_jieba_reference()


def test_words_drop_punctuation_and_space() -> None:
    toks = words("广东省总工会举办技能大赛， 职工踊跃参加！ABC 2024年")
    assert "，" not in toks and "！" not in toks and " " not in toks
    assert "abc" in toks and "2024" in toks
    assert "技能大赛" in toks  # user dictionary entry stays whole


def test_user_dictionary_terms_are_single_tokens() -> None:
    entries = [w for w, _, _ in user_dictionary()]
    assert {"新就业形态", "劳模工匠", "爱心驿站", "职工书屋"} <= set(entries)
    for term in ("新就业形态", "劳模工匠", "爱心驿站", "职工书屋"):
        assert words(f"推进{term}建设") .count(term) == 1


def test_char_ngrams_stay_inside_runs() -> None:
    assert char_ngrams("工会，职工", 1, 2) == ["工", "会", "工会", "职", "工", "职工"]
    assert char_ngrams("ab", 2, 3) == ["ab"]
    assert char_ngrams("", 1, 2) == []


@given(st.text(max_size=60))
@settings(max_examples=100, deadline=None)
def test_tokens_have_no_space_or_punctuation(text: str) -> None:
    for tok in words(text):
        assert re.search(r"\w", tok) and not re.search(r"\s", tok)
    for lo, hi in ((1, 1), (1, 2), (2, 3)):
        grams = char_ngrams(text, lo, hi)
        assert all(lo <= len(g) <= hi and not re.search(r"[\W_]", g) for g in grams)


@given(st.text(alphabet="工会职工技能大赛ABCabc123._%-+#& ，。\n_Éé", max_size=60))
@settings(max_examples=200, deadline=None)
def test_words_are_the_runs_of_word_characters_of_each_segment(text: str) -> None:
    """The fast paths of ``words`` (no upper case, no mixed segment) agree with the definition."""
    expected = [r for seg in cut(text) for r in re.findall(r"[^\W_]+", seg.lower())]
    assert words(text) == expected


def _reference_words(tok: object, text: str) -> list[str]:
    """jieba's tokens reduced the way ``words`` documents: runs of word characters."""
    segs = tok.lcut(text)  # type: ignore[attr-defined]
    return [r for seg in segs for r in re.findall(r"[^\W_]+", seg.lower())]


def test_parity_with_jieba_on_seeds(jieba_ref: object) -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = normalize_text(path.read_text("utf-8"))
        assert words(text) == _reference_words(jieba_ref, text), path.name
        # Chinese segmentation itself is identical; only mixed ASCII runs may be grouped
        # differently by the raw cutters.
        chinese = re.sub(r"[^\u4e00-\u9fff\n]", "", text)
        assert cut(chinese) == jieba_ref.lcut(chinese)  # type: ignore[attr-defined]


def test_parity_with_jieba_on_corpus(shared_dir: Path, jieba_ref: object) -> None:
    src = shared_dir / "corpus/peoples_daily/articles.jsonl"
    with src.open(encoding="utf-8") as f:
        for line in islice(f, 0, 3000, 15):  # 200 articles spread over the file start
            art = json.loads(line)
            text = normalize_text(art["title"] + "\n" + art["text"])
            assert words(text) == _reference_words(jieba_ref, text), art["id"]
