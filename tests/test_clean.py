"""The cleaner's fast paths agree with the plain line-by-line checks they replace."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from classifier.text import clean as C
from classifier.text.article import Dropped
from classifier.text.clean import Para, clean_page, is_fragment, is_terminal

# The plain forms: regex searches anchored with ``$`` (which also matches before a final
# newline) and the single furniture pattern that mixed anchored and free branches.
_PLAIN_TERMINAL = re.compile(r"[。！？!?；;…]+[”’」』）)]*$")
_PLAIN_FRAGMENT_END = re.compile(r"[\u3400-\u9fffA-Za-z0-9，、：（“‘《]$")
_PLAIN_FURNITURE = re.compile(
    r"^(责任编辑|编辑|责编|审核|校对|美编|值班编辑|稿件来源|信息来源|文章来源|来源)[：:]|"
    r"(浏览量|阅读量|点击数|点击量|浏览次数)[：:]?\s*\d|^E-?mail[：:]|"
    r"^(分享到|扫一扫|打印本页|关闭窗口|返回顶部|上一篇|下一篇|【字体|字号[：:])|^\[详细\]$|"
    r"^\d{4}年\d{1,2}月\d{1,2}日\s*(星期.)?\s*第?\d+版"
)

ENDINGS = st.sampled_from([*"。！？!?；;…”’」』）)，、：（“‘《中国aZ9 .\n-■—", "\n\n", "——"])
WORDS = st.sampled_from(
    ["责任编辑：", "编辑:", "浏览量：", "阅读量 12", "E-mail:", "上一篇", "[详细]", "2023年5月1日 ",
     "星期一", "第3版", "工人日报", "摘要", "导读：", "相关新闻", "版权所有", "转载", "亚洲",
     "欧美", "国产", "精品", "福利", "成人", "|", "。", "■", "摄", "供图", "阅读提示：", "【", "】",
     "本报讯", "职工", "工会组织开展活动", "9", "x" * 33, "x" * 41, "中" * 70, "葡京", "百家乐",
     "彩金", "注册", " www.example.com"]
)
LINES = st.lists(WORDS, max_size=6).map("".join)


def _plain_is_fragment(text: str) -> bool:
    if re.match(r"[—―]", text):  # a subtitle line (——…)
        return False
    if bool(_PLAIN_TERMINAL.search(text)) or not _PLAIN_FRAGMENT_END.search(text):
        return False
    return len(text) >= 40 or (len(text) >= 12 and bool(re.search(r"[，。、；]", text)))


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=8), st.lists(ENDINGS, max_size=6).map("".join))
def test_sentence_end_checks_match_the_regexes(head: str, tail: str) -> None:
    for text in (head + tail, ("职工" * 10) + tail, "会议要求，全市" + tail,
                 "——" + ("职工" * 10) + tail):
        assert is_terminal(text) == bool(_PLAIN_TERMINAL.search(text))
        assert is_fragment(text) == _plain_is_fragment(text)


def _plain_junk_reason(t: str) -> str:
    if C._is_spam(t):
        return "spam"
    if C._COPYRIGHT.search(t):
        return "copyright"
    if C._LINK_HEADER.match(t):
        return "link_list"
    if len(t) <= 120 and _PLAIN_FURNITURE.search(t):
        return "boilerplate"
    if C._MASTHEAD.match(t):
        return "masthead"
    if C._EMPTY_LABEL.match(t):
        return "empty_label"
    return ""


def _plain_is_spam(text: str) -> bool:
    parts = [p for p in text.split("|") if p.strip()]
    if len(parts) >= 3:
        return sum(1 for p in parts if C._SPAM_WORDS.search(p)) * 2 >= len(parts)
    gambling = set(re.findall(C._GAMBLING, text))
    ad = len(gambling) >= 2 and bool(re.search(C._AD_HOOK, text))
    return "。" not in text and (len(set(C._SPAM_WORDS.findall(text))) >= 5 or ad)


def _plain_layout_kind(t: str) -> str:
    if C._CAPTION.match(t):
        return C.CAPTION
    if len(t) <= 40 and C._CREDIT.search(t) and not is_terminal(t):
        return C.CREDIT
    if len(t) <= 40 and C._SUMMARY_LABEL.match(t) and t.lstrip("【[").startswith(
        ("阅读提示", "核心提示", "内容提要", "导读")
    ):
        return C.SUMMARY_LABEL
    return C.TEXT


@settings(max_examples=1500, deadline=None)
@given(LINES)
def test_junk_and_layout_checks_match_the_plain_chain(line: str) -> None:
    assert C._is_spam(line) == _plain_is_spam(line)
    assert C._junk_reason(line) == _plain_junk_reason(line)
    assert C._layout_kind(line) == _plain_layout_kind(line)


def _plain_split_lines(text: str) -> list[Para]:
    paras: list[Para] = []
    blank = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            blank = True
            continue
        paras.append(Para(line, number, C.TEXT, blank))
        blank = False
    return paras


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", "甲", "乙丙", " "]), max_size=10).map("\n".join))
def test_line_split_matches_the_plain_loop(text: str) -> None:
    assert C._split_lines(text) == _plain_split_lines(text)


def _plain_dedupe(paras: list[Para]) -> tuple[list[Para], list[Dropped]]:
    seen: list[str] = []
    kept: list[Para] = []
    dropped: list[Dropped] = []
    for p in paras:
        t = p.text
        if p.kind == C.TEXT and len(t) >= 10 and (
            t in seen or (is_terminal(t) and any(t in s for s in seen))
        ):
            dropped.append(Dropped(t, "duplicate", p.line))
            continue
        if p.kind == C.TEXT:
            seen.append(t)
        kept.append(p)
    return kept, dropped


# Few pieces, so that repeats and paragraphs inside others are common.
PIECES = st.sampled_from(["工会组织", "职工", "活动。", "开展", "。", "了", "各级工会要加强"])
PARAS = st.lists(
    st.tuples(st.lists(PIECES, min_size=1, max_size=6).map("".join),
              st.sampled_from([C.TEXT, C.TEXT, C.TEXT, C.CAPTION, C.SUMMARY])),
    max_size=12,
)


@settings(max_examples=800, deadline=None)
@given(PARAS)
# a tail of the paragraph just before: the edge of the bounded search
@example([("职工", C.TEXT), ("开展各级工会要加强活动。", C.TEXT), ("各级工会要加强活动。", C.TEXT)])
def test_dedupe_matches_the_plain_loop(items: list[tuple[str, str]]) -> None:
    paras = [Para(text, n, kind) for n, (text, kind) in enumerate(items, start=1)]
    assert C._dedupe(paras) == _plain_dedupe(paras)


def test_mojibake_notes_found_on_their_lines() -> None:
    text = "第一行\n勢在必行?!比珖\ue268\ue849f(xié)委員\n真的吗?!我不信"
    _, dropped = clean_page(text)
    notes = [d for d in dropped if d.reason.startswith("mojibake")]
    assert [(d.reason, d.line) for d in notes] == [("mojibake_repaired", 2)]
    assert clean_page("没有问题！\n好！")[1] == []


def test_a_gambling_ad_line_is_dropped_and_a_report_on_gambling_is_not() -> None:
    ad = "葡京娱乐城官网注册即送88元彩金，百家乐、六合彩天天开奖 www.example-bet.com"
    report = "警方捣毁一个网络赌场，涉案百家乐、六合彩投注金额逾亿元。"
    page = "市总工会为职工送清凉。\n" + ad + "\n" + report
    paras, dropped = clean_page(page)
    assert [d.reason for d in dropped if d.text == ad] == ["spam"]
    assert report in [p.text for p in paras]
    # Gambling words without a hook, or one alone, stay text.
    assert not C._is_spam("百家乐与六合彩的前世今生")
    assert not C._is_spam("葡京酒店 www.example.com")
