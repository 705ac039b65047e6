"""Tests for classifier.summary.extract: lead and centrality summaries (issue 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import OptionError
from classifier.summary.extract import (
    METHODS,
    Summary,
    body_sentences,
    strip_byline,
    summarize,
)
from classifier.text.sentences import split_sentences

BODY = (
    "本报讯（记者张三 通讯员李四）近日，市总工会召开职工代表大会。"
    "会议审议通过了工作报告。代表们就职工权益保障提出建议。会议号召全市职工建功立业。"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本报讯（记者张三 通讯员李四）近日，工会开会。", "近日，工会开会。"),
        ("本报讯 记者 张三 通讯员 李四 近日，工会开会。", "近日，工会开会。"),
        ("本报讯 近日，工会开会。", "近日，工会开会。"),
        ("新华社北京12月31日电 （记者邹伟、王思北）晚会举行。", "晚会举行。"),
        ("本报北京11月2日电 （记者王伟）今天下雨。", "今天下雨。"),
        ("本报记者 王伟 本报通讯员 李明\n今天，工会开会。", "今天，工会开会。"),
        ("电力公司今天开会。", "电力公司今天开会。"),  # 电 inside a word is no dateline
        ("记者节当天，大家聚会。", "记者节当天，大家聚会。"),
    ],
)
def test_strip_byline(text: str, expected: str) -> None:
    assert strip_byline(text) == expected


def test_lead_default_budget() -> None:
    s = summarize(BODY)
    assert s == Summary(
        "近日，市总工会召开职工代表大会。会议审议通过了工作报告。代表们就职工权益保障提出建议。",
        (
            "近日，市总工会召开职工代表大会。",
            "会议审议通过了工作报告。",
            "代表们就职工权益保障提出建议。",
        ),
        "lead",
        False,
    )
    assert s.to_dict()["sentences"] == list(s.sentences)


def test_lead_stops_at_first_sentence_that_does_not_fit() -> None:
    s = summarize(BODY, sentences=5, max_chars=30)
    assert s.sentences == ("近日，市总工会召开职工代表大会。", "会议审议通过了工作报告。")


def test_one_sentence_option() -> None:
    assert summarize(BODY, sentences=1).text == "近日，市总工会召开职工代表大会。"


def test_empty_and_whitespace_give_empty_summary() -> None:
    for text in ("", "  \n ", "本报讯（记者张三）"):
        s = summarize(text)
        assert s.text == "" and s.sentences == () and not s.truncated


def test_one_sentence_article() -> None:
    assert summarize("工会开会。").sentences == ("工会开会。",)
    assert summarize("工会开会", method="textrank").sentences == ("工会开会",)


def test_clause_cut_when_first_sentence_is_too_long() -> None:
    text = "今天上午，" + "甲" * 40 + "，" + "乙" * 200 + "。后文。"
    s = summarize(text, max_chars=100)
    assert s.truncated
    assert s.text == "今天上午，" + "甲" * 40 + "…"
    assert len(s.text) <= 100


def test_hard_cut_without_clause_mark_is_still_marked() -> None:
    s = summarize("甲" * 300 + "。", max_chars=50)
    assert s.truncated and s.text == "甲" * 49 + "…"


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"method": "nope"}, "nope"), ({"sentences": 0}, "0"), ({"max_chars": 1}, "1")],
)
def test_bad_options_raise_input_error(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(OptionError, match=word):
        summarize(BODY, **kwargs)  # type: ignore[arg-type]


def test_textrank_prefers_central_sentence_and_keeps_document_order() -> None:
    text = (
        "天气晴朗。工会举办职工技能大赛，职工技能大赛吸引千人参加。"
        "午饭是面条。技能大赛的获奖职工将获得技能奖励。"
    )
    s = summarize(text, sentences=2, method="textrank")
    assert "工会举办职工技能大赛，职工技能大赛吸引千人参加。" in s.sentences
    assert "午饭是面条。" not in s.sentences
    sents = split_sentences(text)
    assert [sents.index(x) for x in s.sentences] == sorted(sents.index(x) for x in s.sentences)


def test_deterministic() -> None:
    for method in METHODS:
        assert summarize(BODY * 3, method=method) == summarize(BODY * 3, method=method)


_pieces = st.sampled_from(
    ["。", "！", "？", "；", "…", "，", "：", "\n", "”", "工会", "职工", "开会", "本报讯", "记者",
     "甲乙丙丁戊己庚辛", "大会", " ", "2020年"]
)
_articles = st.lists(_pieces, max_size=80).map("".join)


def _is_subsequence(part: tuple[str, ...], whole: list[str]) -> bool:
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


@settings(max_examples=250, deadline=None)
@given(
    _articles,
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=2, max_value=60),
    st.sampled_from(METHODS),
)
def test_summary_is_ordered_subsequence_within_budget(
    text: str, n: int, max_chars: int, method: str
) -> None:
    s = summarize(text, sentences=n, max_chars=max_chars, method=method)
    assert len(s.sentences) <= n
    assert len(s.text) <= max_chars
    assert s.text == "".join(s.sentences)
    candidates = body_sentences(text)
    if s.truncated:
        (cut,) = s.sentences
        assert cut.endswith("…")
        assert any(c.startswith(cut[:-1]) and len(c) > max_chars for c in candidates)
    else:
        assert _is_subsequence(s.sentences, candidates)
        assert bool(s.sentences) == bool(candidates)


# --- the `summarize` command -------------------------------------------------------------


def _run(args: list[str]) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from classifier.cli.app import app

    result = CliRunner().invoke(app, ["summarize", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_jsonl_records(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a1", "title": "工会开会", "text": BODY}, {"id": "a2", "text": ""}]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    code, out, _ = _run([str(src), "--sentences", "1", "--format", "jsonl"])
    assert code == 0
    recs = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in recs] == ["a1", "a2"]
    assert set(recs[0]) == {"source", "id", "article", "title", "summary", "keywords"}
    assert recs[0]["summary"] == "近日，市总工会召开职工代表大会。"
    assert recs[0]["title"] == "工会开会"
    assert recs[1]["summary"] == "" and recs[1]["keywords"] == []


def test_cli_defaults_to_jsonl_when_not_a_terminal(tmp_path: Path) -> None:
    src = tmp_path / "page.txt"
    src.write_text(BODY, "utf-8")
    code, out, _ = _run([str(src), "--no-split", "--method", "textrank"])
    assert code == 0
    (rec,) = [json.loads(line) for line in out.splitlines()]
    assert rec["summary"] and len(rec["summary"]) <= 150


def test_cli_text_format(tmp_path: Path) -> None:
    src = tmp_path / "page.txt"
    src.write_text(BODY, "utf-8")
    code, out, _ = _run([str(src), "--no-split", "--format", "text"])
    assert code == 0
    assert "近日，市总工会召开职工代表大会。" in out and "keywords:" in out


@pytest.mark.parametrize("args", [["--method", "bogus"], ["--format", "xml"], ["--sentences", "0"]])
def test_cli_usage_errors(tmp_path: Path, args: list[str]) -> None:
    src = tmp_path / "page.txt"
    src.write_text(BODY, "utf-8")
    code, _, err = _run([str(src), *args])
    assert code == 2
    assert "Traceback" not in err


def test_cli_missing_file_is_a_partial_failure(tmp_path: Path) -> None:
    code, out, err = _run([str(tmp_path / "nope.txt"), "--format", "jsonl"])
    assert code == 3
    assert "nope.txt" in err
    assert json.loads(out)["source"].endswith("nope.txt")


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from([*"工会职工劳模，。！？；：“”（）《》…\n "]), max_size=900),
       st.integers(min_value=2, max_value=300), st.integers(min_value=1, max_value=5))
def test_lead_window_gives_the_same_summary_as_splitting_everything(
    text: str, max_chars: int, sentences: int
) -> None:
    from classifier.summary import extract as module

    full = module.body_sentences(text)
    expected = (module._fit(full, list(range(len(full))), sentences, max_chars, "lead")
                if full else module.Summary("", (), "lead"))
    assert summarize(text, sentences=sentences, max_chars=max_chars) == expected
