"""Extractive summaries of an article body: the lead (default) and a centrality method.

``summarize(text)`` takes the cleaned body (``Article.text``), skips the dateline and byline
(``本报讯（记者… 通讯员…）``, ``新华社北京…电 （记者…）``, a paragraph that is only
``本报记者 X 本报通讯员 Y``) and returns whole sentences within a budget (default at most 3
sentences and 150 characters). A sentence is never cut, except when the first chosen sentence
alone is over the character budget: then it is cut at the last clause mark (，；：) that fits,
or hard at the budget when there is none, and ends with ``…`` (``Summary.truncated``).

Headings, subheads and photo captions are never summary sentences (issue 11): a short line
with no end mark (``“拉网式”吸纳入会``), a subtitle line that opens with a dash and has no full
stop (``——习近平总书记的回信激励…``, up to ``SUBTITLE_CHARS``), a short verb-first heading that
opens a paragraph or is one (``实施组织引领工程。``, ``筑牢职工思想引领高地。``), an
enumerated heading (``一、…``, ``（二）…``; one glued to its paragraph's first sentence by a
space is cut off it), a point's name in a list (``一是做好思想引领。``), a caption
(``图为参赛选手…``, ``上图：…``) or a credit (``张三 摄``, ``版式设计：…``); an editor's note
keeps its text without its ``编者按：`` label. A summary never ends on a clause mark (a ``；``
ends a sentence for the splitter): it stops at its last sentence that ends on a full stop,
else marks the cut with ``…``.

``method="textrank"`` ranks sentences by biased PageRank over a cosine graph of char-bigram
TF-IDF vectors (position prior as the teleport vector), picks them by MMR and prints them in
document order. Default choice and numbers: docs/SUMMARIES.md (issue 4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from classifier.errors import OptionError
from classifier.text import tokens
from classifier.text.clean import BULLETS, SUBTITLE_DASHES
from classifier.text.sentences import CLAUSE_MARKS, split_sentences

__all__ = [
    "METHODS",
    "Summary",
    "body_sentences",
    "clause_cut",
    "strip_byline",
    "summarize",
]

METHODS = ("lead", "textrank")
ELLIPSIS = "…"

# The patterns with CJK classes are compiled when first used (``re.compile``, from its cache
# after that): CPython marks each code point of a class like [\u4e00-\u9fff] one by one,
# ~1.5 ms per copy, and these have two or three copies each (issue 14: a one-page
# ``classify`` paid for all of them at import).
_NAME = r"[\u4e00-\u9fff·]{2,5}"
_ROLE = r"(?:本报|新华社|人民日报|工人日报)?(?:特约|见习|首席|实习)?(?:记者|通讯员|实习生|撰稿人)"
# A paragraph that is nothing but bylines: 本报记者 王伟 本报通讯员 李明 / □记者 张三 / 文/图 X
_BYLINE_PARA = (
    rf"^[□■●◆◇○\s]*(?:(?:{_ROLE}|文\s*/\s*图|文|图|作者)\s*[：:/]?\s*"
    rf"{_NAME}(?:\s*[、，,\s]\s*{_NAME})*\s*)+$"
)
# 本报讯 / 本报讯（记者… 通讯员…）/ 本报讯 记者 张三 通讯员 李四 (names then whitespace)
_BENBAOXUN = (
    rf"^\s*(?:【\s*)?本报讯(?:\s*】)?\s*(?:[（(][^（）()]{{0,60}}[）)]|"
    rf"(?:{_ROLE}\s*{_NAME}(?:[、\s]{_NAME})*\s+)+)?\s*"
)
# 新华社北京12月31日电 / 本报北京11月2日电 / 本报电 / 人民网北京1月2日电, then (记者…)
_AGENCY = (
    r"(?:据)?(?:本报|新华社|中新社|中新网|人民网|新华网|央视网|"
    r"[\u4e00-\u9fff]{2,6}(?:日报|社|网))"
)
_DATELINE = (
    rf"^\s*{_AGENCY}(?:[\u4e00-\u9fff·]{{0,12}}?\d{{1,2}}月\d{{1,2}}日电|"
    rf"[\u4e00-\u9fff·]{{0,12}}?电(?=[\s（(]))"
    rf"\s*(?:[（(][^（）()]{{0,60}}[）)])?\s*"
)
# Another outlet's 讯 (中工网讯 8月31日，… / 【中工网讯】 / 南方工报讯（记者…）/ 长沙晚报3月8日讯
# （…）/ a bare 讯（记者…） whose outlet was lost in copying): the outlet, then 讯 closed by 】
# or before a space, a bracket or the byline's parenthesis; never the 讯 of 通讯员 or 资讯服务.
_OUTLET_XUN = (
    r"^\s*(?:【\s*)?[\u4e00-\u9fff]{0,10}?(?:\d{1,2}月\d{1,2}日)?(?<!通)讯"
    r"(?:\s*】|(?=[\s（(【]))\s*(?:[（(][^（）()]{0,60}[）)])?\s*"
)
# A byline in parentheses whose dateline was lost in copying: （记者 陈兆平） “关山迢迢…
_BYLINE_PAREN = rf"^\s*[（(]\s*(?:全媒体|融媒体)?{_ROLE}[^（）()]{{0,50}}[）)]\s*"



@dataclass(frozen=True)
class Summary:
    """An extractive summary. ``truncated`` marks a clause cut ending in ``…``."""

    text: str
    sentences: tuple[str, ...]
    method: str
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "text": self.text,
            "sentences": list(self.sentences),
            "method": self.method,
            "truncated": self.truncated,
        }


def strip_byline(text: str) -> str:
    """Drop leading byline-only paragraphs and the dateline/byline prefix of the first one."""
    paras = [p.strip() for p in text.splitlines()]
    paras = [p for p in paras if p]
    # Only the opening paragraphs can be bylines; a bound keeps body text safe.
    for _ in range(3):
        if paras and len(paras[0]) <= 40 and re.compile(_BYLINE_PARA).match(paras[0]):
            paras.pop(0)
    if paras:
        # Neither pattern can match without its last word (本报讯, 电): skip it.
        first = paras[0]
        if "本报讯" in first:
            first = re.compile(_BENBAOXUN).sub("", first, count=1)
        if first == paras[0] and "电" in first:
            first = re.compile(_DATELINE).sub("", first, count=1)
        if first == paras[0] and "讯" in first[:24]:
            first = re.compile(_OUTLET_XUN).sub("", first, count=1)
        if first == paras[0] and first[:1] in "（(":
            first = re.compile(_BYLINE_PAREN).sub("", first, count=1)
        if first.strip():
            paras[0] = first.strip()
        else:
            paras.pop(0)
    return "\n".join(paras)


LEAD_WINDOW_MARGIN = 256
# A heading is short: a subhead line without an end mark up to SUBHEAD_CHARS, a verb-first
# heading sentence (实施组织引领工程。) up to HEADING_CHARS with no clause mark inside.
SUBHEAD_CHARS = 30
HEADING_CHARS = 16
# A subtitle (a paragraph of its own that opens with a dash and has no full stop) up to this.
SUBTITLE_CHARS = 80
_FULL_ENDS = frozenset("。！？!?…⋯｡")
_CLOSING = "”’」』）)]】〕〗｝}\"'»› "
_ENUMERATED = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、．.](?!\d)"
    r"|第[一二三四五六七八九十]+(?:部分|章|节))"
)
_CAPTION = (r"^[（(]?(?:(?:上|下|左|右|中|组)图\s*[：:]"
            r"|(?:上|下|左|右|组|题)?图(?:为|中|片为|[①-⑳\d]{1,2}[：:为]?))")
# A list item that is only a point's name (一是做好思想引领。 二是打造竞赛品牌。): a subhead
# wherever it stands (``_is_point_name``).
_POINT = re.compile(r"^(?:[一二三四五六七八九十]+是|其[一二三四五六七八九十]+[是，,])")
# A run-in enumerated heading glued to its paragraph's first sentence by a space
# (一、奖项设置 2020年基金会设置3个奖项。): the heading goes, the sentence stays.
_RUN_IN = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]{1,3}[）)])"
    r"[^，。；：,;:！？!?\s]{1,14}\s+(?=\S)"
)
# The label of an editor's note opens the lead of many People's Daily features
# (编者按：又是新年。): the note is text, its label is not.
_NOTE_LABEL = re.compile(r"^[【\[]?编者按[】\]]?\s*[：:]\s*")
# So is a section's label (【事件】上午10点半，… / 【点评】 / 【案情】: 172 of 24,974 People's Daily
# and union_press articles open 444 paragraphs with one, of at most 8 characters).
_SECTION_LABEL = re.compile(r"^【[^】]{1,8}】\s*")
_CREDIT = re.compile(
    r"(?:摄|摄影|供图)\s*(?:[（(][^（）()]{0,12}[）)])?$"
    r"|^[（(]?(?:新华社|中新社|人民视觉|视觉中国|影像中国|资料图片)[^，。]{0,12}[）)]?$"
    r"|^(?:版式设计|制图|责任编辑|责编|本版编辑|校对|编辑)\s*[：:]"
)


def body_sentences(text: str) -> list[str]:
    """Candidate summary sentences: the body's sentences after the byline is skipped, without
    headings, subheads, captions and credits."""
    return _candidates(strip_byline(text))


def _candidates(body: str, *, cut: bool = False) -> list[str]:
    """The sentences of ``body`` a summary may use, in order (see the module doc).

    ``cut``: ``body`` is a window of the text, so its last piece may be cut short; it is left
    out, since whether it is a heading cannot be told.
    """
    out: list[str] = []
    paras = body.split("\n")
    for p, para in enumerate(paras):
        sents = split_sentences(para)
        if cut and p == len(paras) - 1:
            sents = sents[:-1]
        last = len(sents) - 1
        for j, sent in enumerate(sents):
            # Cheap tests before each regex: most sentences are neither the first nor the last
            # of their paragraph, nor start with 图 or 一是 (the lead runs once per labelled
            # article).
            if "、" in sent[1:4] or sent[:1] in "（(":
                sent = _RUN_IN.sub("", sent, count=1)
            if j == 0:
                if _is_heading(sent, first=True, whole=last == 0, opening=p == 0):
                    continue
                if "编者按" in sent[:4]:
                    sent = _NOTE_LABEL.sub("", sent, count=1)
                elif sent[:1] == "【":
                    sent = _SECTION_LABEL.sub("", sent, count=1)
                if sent[:1] in BULLETS and _ends_fully(sent) and not any(
                        c in BULLETS for c in sent[1:]):
                    # A point of a list (●近三年，全省签订…。) reads as a sentence without
                    # its mark; points without a full stop keep it, as it is all that
                    # parts them when they are joined (●避开点火源●不宜大量存放…).
                    sent = sent.lstrip(BULLETS + " ")
            if "图" in sent[:4] and re.compile(_CAPTION).match(sent):
                continue
            if j == last and len(sent) <= 40 and _CREDIT.search(sent):
                continue
            if "是" in sent[1:5] and len(sent) <= HEADING_CHARS + 4 and _is_point_name(sent):
                continue
            if sent:
                out.append(sent)
    return out


def _ends_fully(sentence: str) -> bool:
    """Whether ``sentence`` ends on a full stop (。！？…), closing quotes aside."""
    core = sentence.rstrip(_CLOSING)
    return bool(core) and core[-1] in _FULL_ENDS


def _ends_on_clause(sentence: str) -> bool:
    """Whether ``sentence`` ends on a clause mark (；，：), closing quotes aside."""
    return sentence.rstrip(_CLOSING)[-1:] in CLAUSE_MARKS


def _is_heading(sent: str, *, first: bool, whole: bool, opening: bool = False) -> bool:
    """A heading or subhead: see the module doc. ``first``: it opens its paragraph;
    ``whole``: it is the whole paragraph; ``opening``: that paragraph opens the body, where a
    short verb-first sentence is the news itself (快递公司再现“暴力分拣”的丑闻。), not a
    heading."""
    if not first:
        return False
    if (whole and sent[:1] in SUBTITLE_DASHES and not _ends_fully(sent)
            and len(sent) <= SUBTITLE_CHARS):
        # ——习近平总书记在新疆发表的重要讲话鼓舞广大干部群众同心筑梦新征程: a subtitle under
        # the headline, often longer than a subhead (People's Daily 2023, 33-48 characters).
        return True
    if len(sent) > SUBHEAD_CHARS + 10:
        return False
    if whole and len(sent) <= SUBHEAD_CHARS and not _ends_fully(sent) and not _ends_on_clause(
            sent):
        return True  # “拉网式”吸纳入会 / 沙漠+艺术 / ——记全国劳模张三
    if _ENUMERATED.match(sent) and not any(c in sent for c in "，；,;") and not (
            opening and _ends_fully(sent)):
        return True  # 一、第六届全国文明城市名单（133个） (not the list item 1.目标高。 that opens)
    if opening or len(sent) > HEADING_CHARS or any(c in sent for c in CLAUSE_MARKS):
        return False
    return _starts_with_verb(sent)  # 实施组织引领工程。 (not 主席团常务主席栗战书主持会议。)


def _is_point_name(sent: str) -> bool:
    """一是做好思想引领。: a list item that only names its point, a verb-first phrase with no
    clause mark (not 二是信息披露更加透明。, which says something)."""
    point = _POINT.match(sent)
    return (point is not None and not any(c in sent for c in CLAUSE_MARKS)
            and _starts_with_verb(sent[point.end():]))


# Verbs of union-report headings that the segmenter's tagger reads as something else (筑牢 as
# an adjective, 做靓 as a morpheme, 锚定 as a noun): found by tagging ~80 heading verbs at the
# start of a heading (筑牢职工思想引领高地。做靓工会新闻宣传品牌。).
_HEADING_VERBS = (
    "筑牢", "做靓", "做优", "做细", "做深", "织密", "织牢", "唱响", "激活", "聚力", "用好", "压实",
    "深化", "健全", "兜牢", "扮靓", "扛牢", "绘就", "跑出", "下好", "答好", "念好", "当好", "建好",
    "守好", "走好", "架起", "架好", "搭好", "畅通", "立足", "紧盯", "锚定",
)


def _starts_with_verb(sent: str) -> bool:
    # Headings of union reports are verb-first slogans (实施…工程, 强化…, 聚焦…); a short
    # sentence that opens with a noun or pronoun (他笑了。会议由张三主持。) is text.
    if sent.startswith(_HEADING_VERBS):
        return True
    for word, flag in tokens._rjieba().tag(sent):
        if word.strip():
            return str(flag).startswith("v")
    return False


def summarize(
    text: str, *, sentences: int = 3, max_chars: int = 150, method: str = "lead"
) -> Summary:
    """Summarize an article body with whole sentences within the budget.

    ``sentences`` and ``max_chars`` bound the summary; ``method`` is one of ``METHODS``.
    An empty body gives an empty summary. Raises ``OptionError`` for a bad option.
    """
    if method not in METHODS:
        raise OptionError(f"unknown summary method {method!r}; use one of {', '.join(METHODS)}")
    if sentences < 1:
        raise OptionError(f"sentences must be at least 1, got {sentences}")
    if max_chars < 2:
        raise OptionError(f"max_chars must be at least 2, got {max_chars}")
    body = strip_byline(text)
    sents: list[str] = []
    window = max_chars + LEAD_WINDOW_MARGIN
    while method == "lead" and len(body) > window:
        # The lead never reads past its budget: the candidates of a window a little longer
        # than the budget are the article's own up to it, and splitting a whole long article
        # was a tenth of the labelling time. The window's last piece may be cut, so it is
        # left out; the lead reads candidates only while their lengths add up to at most
        # the budget, so when the others add up to more it never needs it. Else: a wider
        # window.
        sents = _candidates(body[:window], cut=True)
        if sum(map(len, sents)) > max_chars:
            break
        sents = []
        window *= 4
    if not sents:
        sents = _candidates(body) or split_sentences(body)  # all headings: keep the text
    if not sents:
        return Summary("", (), method)
    if method == "lead" or len(sents) == 1:
        order = list(range(len(sents)))
    else:
        from classifier.summary.textrank import rank_sentences  # numpy: only when asked

        order = rank_sentences(sents)
    return _fit(sents, order, sentences, max_chars, method)


def _fit(sents: list[str], order: list[int], limit: int, max_chars: int, method: str) -> Summary:
    """Take sentences in ``order`` while they fit; print them in document order.

    The lead stops at the first sentence that does not fit (it must stay a prefix of the
    candidates); a ranked method skips it and tries the next one. A summary never ends on a
    clause mark (``；`` ends a sentence for the splitter): it stops at its last sentence that
    ends fully (。！？…), or, when none does, its final mark becomes ``…``. (Reading on to
    the full stop instead lowered LCSTS lead-1 R-L by 0.07: docs/SUMMARIES.md.)
    """
    chosen: list[int] = []
    used = 0
    for i in order:
        if len(chosen) >= limit:
            break
        if used + len(sents[i]) <= max_chars:
            chosen.append(i)
            used += len(sents[i])
        elif method == "lead":
            break
    if not chosen:
        cut = clause_cut(sents[order[0]], max_chars)
        return Summary(cut, (cut,), method, truncated=True)
    chosen.sort()
    truncated = False
    if _ends_on_clause(sents[chosen[-1]]):
        full = [k for k, i in enumerate(chosen) if _ends_fully(sents[i])]
        if full:
            chosen = chosen[: full[-1] + 1]
        else:
            truncated = True
    picked = [sents[i] for i in chosen]
    if truncated:  # 今天，工会开会；→ 今天，工会开会… : the sentence goes on, and says so
        last = picked[-1]
        core = last.rstrip(_CLOSING)
        picked[-1] = core[:-1] + ELLIPSIS + last[len(core):]
    return Summary("".join(picked), tuple(picked), method, truncated)


def clause_cut(sentence: str, max_chars: int) -> str:
    """Cut an over-long sentence at the last clause mark that fits, ending with ``…``.

    With no clause mark in reach the cut falls at the budget itself (still marked).
    """
    room = max_chars - len(ELLIPSIS)
    head = sentence[:room]
    # Keep at least a fifth of the budget so a stray early comma does not leave a stub.
    for k in range(len(head) - 1, max(room // 5, 1) - 1, -1):
        if head[k] in CLAUSE_MARKS:
            return head[:k] + ELLIPSIS
    return head.rstrip() + ELLIPSIS
