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
from classifier.text.jsonl import article_from_record
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
        # Other outlets' 讯, with or without a byline, a date or brackets.
        ("中工网讯 8月31日，市总工会举行仪式。", "8月31日，市总工会举行仪式。"),
        ("【中工网讯】近日，工会开会。", "近日，工会开会。"),
        ("南方工报讯（记者 张三 通讯员 李四）近日，工会开会。", "近日，工会开会。"),
        ("长沙晚报掌上长沙3月8日讯（记者 王五）近日，工会开会。", "近日，工会开会。"),
        ("讯（记者 袁玮）“五一”前夕，职工收到大礼。", "“五一”前夕，职工收到大礼。"),
        # 讯 inside a word is no dateline.
        ("通讯员李明报道，近日开会。", "通讯员李明报道，近日开会。"),
        ("资讯服务平台上线。", "资讯服务平台上线。"),
        # A byline in parentheses with no dateline before it; a list number stays.
        ("（记者 陈兆平） “关山迢迢，隔不断乡情。”", "“关山迢迢，隔不断乡情。”"),
        ("（二）加强管理。近日开会。", "（二）加强管理。近日开会。"),
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
    # Issue 11: never ends on a clause mark (a closing quote may follow the mark).
    assert s.text.rstrip("”’」』）)]】〕〗｝}\"'»› ")[-1:] not in set("；;，,、：:")
    candidates = body_sentences(text) or split_sentences(strip_byline(text))
    if s.truncated and s.text.endswith("…") and len(s.sentences) == 1 and any(
            c.startswith(s.text[:-1]) and len(c) > max_chars for c in candidates):
        return  # an over-long first sentence cut at a clause mark
    if s.truncated:  # the last sentence ended on ；: its mark became …
        *head, last = s.sentences
        assert "…" in last
        core = last.replace("…", "", 1)
        assert any(c.startswith(core[: last.index("…")]) and len(c) == len(last)
                   for c in candidates)
        assert _is_subsequence(tuple(head), candidates)
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


def test_cli_missing_file_alone_is_a_failure(tmp_path: Path) -> None:
    code, out, err = _run([str(tmp_path / "nope.txt"), "--format", "jsonl"])
    assert code == 1  # nothing could be done (the README's exit codes; issue 15, item 25)
    assert "nope.txt" in err
    assert json.loads(out)["source"].endswith("nope.txt")


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from([*"工会职工劳模，。！？；：“”（）《》…\n "]), max_size=900),
       st.integers(min_value=2, max_value=300), st.integers(min_value=1, max_value=5))
def test_lead_window_gives_the_same_summary_as_splitting_everything(
    text: str, max_chars: int, sentences: int
) -> None:
    from classifier.summary import extract as module

    # All headings: the text itself (see summarize).
    full = module.body_sentences(text) or split_sentences(module.strip_byline(text))
    expected = (module._fit(full, list(range(len(full))), sentences, max_chars, "lead")
                if full else module.Summary("", (), "lead"))
    assert summarize(text, sentences=sentences, max_chars=max_chars) == expected


# --- issue 11: headings, captions, clause marks; textrank memory ------------------------------

YANTAI = (
    "本报讯 （记者杨明清 通讯员宋洁）记者近日从烟台市总工会获悉，今年以来，烟台市总精心布局"
    "“建功烟台”劳动竞赛，努力实施组织引领工程、平台建设工程、机制保障工程“三个工程”。\n"
    "实施组织引领工程。为构建劳动竞赛组织网络，烟台市总与20个职能部门联合成立委员会。\n"
    "实施平台建设工程。烟台市总打造全员创新平台。"
)


def test_run_in_heading_is_skipped() -> None:
    s = summarize(YANTAI)
    assert "实施组织引领工程。" not in s.sentences
    assert s.sentences[0].startswith("记者近日从烟台市总工会获悉")
    assert "为构建劳动竞赛组织网络，烟台市总与20个职能部门联合成立委员会。" in s.sentences


@pytest.mark.parametrize(
    "text",
    [
        "近日，街道总工会为灵活就业群体送出关爱套餐。\n“拉网式”吸纳入会\n洋泾街道成立服务工会。",
        "近日，街道总工会为灵活就业群体送出关爱套餐。\n实施组织引领工程。\n洋泾街道成立服务工会。",
        "近日，街道总工会为灵活就业群体送出关爱套餐。\n（一）强化组织引领\n洋泾街道成立服务工会。",
    ],
)
def test_subheads_are_skipped(text: str) -> None:
    assert summarize(text).sentences == ("近日，街道总工会为灵活就业群体送出关爱套餐。",
                                         "洋泾街道成立服务工会。")


def test_short_sentences_that_are_text_stay() -> None:
    text = "主席团举行第三次会议。\n主席团常务主席栗战书主持会议。\n会议应到174人。"
    assert summarize(text).sentences == ("主席团举行第三次会议。", "主席团常务主席栗战书主持会议。",
                                         "会议应到174人。")
    # A short verb-first sentence that opens the article is the news itself.
    assert summarize("快递公司再现“暴力分拣”的丑闻。据报道，工人随意行走。").sentences[0] == \
        "快递公司再现“暴力分拣”的丑闻。"


@pytest.mark.parametrize("method", METHODS)
def test_captions_and_credits_are_skipped(method: str) -> None:
    text = ("10月30日，保康县首届职业技能大赛总决赛举行，50多名选手参加比赛。"
            "图为参赛选手正在进行砌筑比赛。\n赵东山摄（新华社发）\n版式设计：张丹峰")
    s = summarize(text, method=method)
    assert s.sentences == ("10月30日，保康县首届职业技能大赛总决赛举行，50多名选手参加比赛。",)


def test_summary_does_not_end_on_a_semicolon() -> None:
    text = "9月3日，交流活动在珠海举行。活动现场发布了《优秀案例汇编》；" + "甲" * 120 + "。"
    s = summarize(text)
    assert s.text == "9月3日，交流活动在珠海举行。"
    # With no full stop before it, the clause mark becomes an ellipsis.
    s = summarize("今天，工会开会；" + "甲" * 200 + "。", max_chars=50)
    assert s.text == "今天，工会开会…" and s.truncated


def test_an_article_of_headings_keeps_its_text() -> None:
    assert summarize("工会开会").text == "工会开会"


def test_textrank_memory_is_bounded() -> None:
    """Issue 15 item 17: 8,000 short sentences needed 1.3 GB; only MAX_RANKED are ranked."""
    import tracemalloc

    from classifier.summary.textrank import MAX_RANKED, rank_sentences

    sents = [f"第{i}句工会职工开会。" for i in range(8000)]
    tracemalloc.start()
    order = rank_sentences(sents)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20  # a dense 8,000 x 8,000 graph alone is 512 MB
    assert sorted(order) == list(range(8000))
    assert order[MAX_RANKED:] == list(range(MAX_RANKED, 8000))
    assert summarize("".join(sents), method="textrank").sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Captions named by their place on the page.
        ("上图：2月12日，医护人员准备接收患者。中图：武警官兵搬运消毒水。\n"
         "下图：志愿者进行卫生消毒。\n2月12日，各地继续做好疫情防控。",
         ("2月12日，各地继续做好疫情防控。",)),
        # A point's name in a list is a subhead, wherever it stands in its paragraph.
        ("市总工会聚焦劳模志愿服务。一是做好思想引领。推出系列活动，营造劳动光荣的氛围。"
         "二是打造竞赛品牌。",
         ("市总工会聚焦劳模志愿服务。", "推出系列活动，营造劳动光荣的氛围。")),
        # A run-in enumerated heading loses its heading, not its sentence.
        ("基金会于2005年发起成立。\n一、奖项设置 2020年基金会设置3个奖项。",
         ("基金会于2005年发起成立。", "2020年基金会设置3个奖项。")),
        # A subtitle under the headline, longer than a subhead (People's Daily 2023).
        ("——习近平总书记在新疆发表的重要讲话鼓舞广大干部群众同心筑梦新征程\n"
         "8月26日，习近平总书记发表的重要讲话引起强烈反响。",
         ("8月26日，习近平总书记发表的重要讲话引起强烈反响。",)),
        # Heading verbs the tagger reads as something else (筑牢: an adjective, 做靓: a
        # morpheme) still open a run-in heading.
        ("去年以来，县总工会推动宣传工作走新更走心。\n筑牢职工思想引领高地。组建六支宣讲队伍。\n"
         "做靓工会新闻宣传品牌。先后上稿1300余条。",
         ("去年以来，县总工会推动宣传工作走新更走心。", "组建六支宣讲队伍。",
          "先后上稿1300余条。")),
        # An editor's note keeps its text, not its label.
        ("编者按：又是新年。新年伊始，各地职工坚守岗位。",
         ("又是新年。", "新年伊始，各地职工坚守岗位。")),
        # A section's label goes, its text stays.
        ("【事件】上午10点半，老人前来就餐。\n【点评】这很好。",
         ("上午10点半，老人前来就餐。", "这很好。")),
        # The points of a fact box read as sentences without their bullet marks; points
        # without a full stop keep theirs, the only thing that parts them once joined.
        ("●近三年，全省签订集体合同806份。\n● 建成职工服务中心5450家。",
         ("近三年，全省签订集体合同806份。", "建成职工服务中心5450家。")),
        ("●避开点火源，不在厨房等有明火、高温设备的地方使用，喷酒精时不抽烟\n"
         "●不宜大量存放，放置时要避免靠近灶台、暖气等热源\n疫情期间，不少家庭使用酒精消毒。",
         ("●避开点火源，不在厨房等有明火、高温设备的地方使用，喷酒精时不抽烟",
          "疫情期间，不少家庭使用酒精消毒。")),
    ],
)
def test_layout_pieces_stay_out_of_the_lead(text: str, expected: tuple[str, ...]) -> None:
    assert summarize(text).sentences == expected


def test_a_subtitle_is_not_glued_to_the_lead_as_a_page_break_piece() -> None:
    # The subtitle is long and ends without a stop, like a paragraph cut by a page break;
    # cleaning used to join it to the first paragraph, and the lead then opened with it.
    title = "让中国的飞机用上更加强劲的“中国心”"
    text = (title + "\n——习近平总书记给中国航发黎明发动机装配厂“李志强班”职工的回信激励广大"
            "航空科技工作者矢志创新、勇攀高峰\n"
            "\u3000\u3000“航空发动机是国之重器。”9月1日，习近平总书记给“李志强班”职工回信。")
    article = article_from_record({"id": "a", "title": title, "text": text}, source="x", line=1)
    assert "勇攀高峰\n“航空" in article.text  # the subtitle keeps its own line
    assert summarize(article.text).sentences == (
        "“航空发动机是国之重器。”", "9月1日，习近平总书记给“李志强班”职工回信。")


def test_points_that_say_something_stay() -> None:
    # A list item with a subject (not a verb-first name) or a clause inside is text.
    text = "疫情防控有两大特点。一是检测水准提升，人员更专业。二是信息披露更加透明。"
    assert summarize(text).sentences == (
        "疫情防控有两大特点。", "一是检测水准提升，人员更专业。", "二是信息披露更加透明。")
