"""Line-level cleaning of a page: classify each line, rejoin page breaks, drop repeats.

The cleaner never deletes text on its own authority: junk lines come back as ``Dropped``
records with a reason, and layout lines (captions, credits, the 阅读提示 box) come back
marked so that the article splitter can attach them to the article they belong to.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace

from classifier.text.article import Dropped
from classifier.text.hanzi import hanzi_count
from classifier.text.normalize import has_mojibake, mojibake_repairs, normalize_text

__all__ = [
    "BULLETS",
    "SUBTITLE_DASHES",
    "Para",
    "clean_page",
    "is_byline",
    "is_fragment",
    "is_lead",
    "is_terminal",
    "looks_like_title",
]

# Kinds a paragraph can have after cleaning.
TEXT, CAPTION, CREDIT, SUMMARY_LABEL, SUMMARY = "text", "caption", "credit", "label", "summary"

_SPAM_WORDS = re.compile(
    r"色图|偷拍|超碰|麻豆|东京热|中文字幕|一级|[aA][vV]|福利|看片|亚洲|欧美|日韩|国产|精品|"
    r"情侣|伦理|无码|成人|激情|黄色|博彩|娱乐城|百家乐|赌场|棋牌|六合彩|时时彩|葡京|乱交|人妻|自拍"
)
_GAMBLING = re.compile(
    r"博彩|娱乐城|百家乐|赌场|六合彩|时时彩|葡京|彩金|老虎机|真人荷官|投注|体育博彩")
_AD_HOOK = re.compile(r"https?://|www\.|\.(?:com|net|cc|vip|top|me|co)\b|注册|开户|彩金|充值|"
                      r"加微信|扫码")
_COPYRIGHT = re.compile(
    r"版权(所有|声明|相关声明)|©|Copyright|未经.{0,12}(授权|许可|同意).{0,12}(转载|使用|复制)|"
    r"ICP备|不得转载|转载请注明"
)
# Patterns for rare lines are plain strings, compiled on first use by ``re.compile`` (which
# keeps them in its cache): a one-page ``classify`` compiled every pattern at import (issue 14).
_COPYRIGHT_CONT = r"^[①-⑩]|本网|本站|转载|联系方式|版权"
_LINK_HEADER = re.compile(
    r"^(频道精选|相关新闻|相关阅读|推荐阅读|热点推荐|延伸阅读|热门推荐|精彩推荐|猜你喜欢|更多新闻|"
    r"热点新闻|最新新闻|相关链接|往期回顾|热门文章)[：:]?$"
)
_LINK_ITEM = r"(\[详细\]|【详细】|\.\.\.|…)$|^【"
# Page furniture: labels that start a line, and view counters anywhere in it. Two patterns,
# not one: a search for an alternation that mixes ^-anchored and free branches tries every
# branch at every position, and this one ran on most lines.
_FURNITURE_START = (
    r"^(责任编辑|编辑|责编|审核|校对|美编|值班编辑|稿件来源|信息来源|文章来源|来源)[：:]|"
    r"^E-?mail[：:]|"
    r"^(分享到|扫一扫|打印本页|关闭窗口|返回顶部|上一篇|下一篇|【字体|字号[：:])|^\[详细\]$|"
    r"^\d{4}年\d{1,2}月\d{1,2}日\s*(星期.)?\s*第?\d+版"
)
_FURNITURE_COUNT = re.compile(r"(浏览量|阅读量|点击数|点击量|浏览次数)[：:]?\s*\d")
_MASTHEAD = re.compile(
    r"^(工人日报|南方工报|人民日报|劳动午报|中工网|中国工人|江苏工人报|浙江工人日报|四川工人日报|"
    r"天津工人报|河南工人日报|安徽工人日报|湖北日报|新华社)$"
)
_EMPTY_LABEL = re.compile(r"^(摘要|导读|核心提示|内容提要)[：:]?$")
# Any line-start junk pattern: one C call rules out the four of them on an ordinary line.
_JUNK_START = re.compile(
    "|".join(f"(?:{p})" for p in (_LINK_HEADER.pattern, _FURNITURE_START, _MASTHEAD.pattern,
                                   _EMPTY_LABEL.pattern))
)
_SUMMARY_LABEL = re.compile(r"^[【\[]?(阅读提示|核心提示|内容提要|导读)[】\]]?[：:]?\s*(.*)$")
_CAPTION = re.compile(r"^[■▲△▼◆□◇]")
_CREDIT = re.compile(r"(摄(/\S{1,12})?|供图|资料图片?|图片由.{1,20}提供)$")
# An article's opening (``is_lead``): what the regex ^(本报讯|本刊讯|本报消息|据新华社|
# (新华社|本报)H{0,8}\d{1,2}月\d{1,2}日电|H{2,6}网讯|[（(](全媒体)?记者) matches, H being
# [\u4e00-\u9fff]; read in Python, since the three copies of H cost ~3.5 ms to compile
# (issue 14).
_LEAD_WORDS = ("本报讯", "本刊讯", "本报消息", "据新华社")
_DATED = re.compile(r"\d{1,2}月\d{1,2}日电")
# The same with any character for H: all the openings and more, in one C call.
_LEAD_LIKE = re.compile(r"本报讯|本刊讯|本报消息|据新华社|[（(](全媒体)?记者|新华社|本报|"
                        r".{2,6}网讯")
_ROLE = r"(本报|本刊)?(全媒体|特约|见习|实习)?(记者|通讯员|实习生|撰稿|作者)"
_BYLINE = re.compile(rf"^({_ROLE}[：:]?\s*[\u4e00-\u9fff·]{{2,4}}(\s+|、|$))+$")
# ``（李驿宿）``, ``（张三 李四）``, ``（张三、李四）``: tested by ``_is_trailing_byline`` (the
# regex ^[（(]N((\s+|、)N)*[)）]$ with N = [\u4e00-\u9fff·]{2,4} cost ~3.5 ms to compile).
_NAME_SEP = re.compile(r"\s+|、")
_NOT_NAME = re.compile(r"获悉|表示|介绍|了解|报道|采访|发现|看到|日前|近日|说")
# Sentence ends, and the closing marks that may follow them (see ``is_terminal``).
_STOPS = "。！？!?；;…"
_CLOSERS = "”’」』）)"
SUBTITLE_DASHES = "—―"  # U+2014, U+2015: the dash that opens a subtitle (——)
BULLETS = "●■◆◎★•"  # marks that open the points of a list or a fact box (●近三年，…)
# A fragment's last character: a hanzi, an ASCII letter or digit, or one of these marks. A
# membership test, not a regex: the class [\u3400-\u9fff] costs ~3 ms to compile (issue 14).
_FRAGMENT_END_MARKS = frozenset(string.ascii_letters + string.digits + "，、：（“‘《")



@dataclass(frozen=True)
class Para:
    """A non-empty line of the normalized page."""

    text: str
    line: int
    kind: str = TEXT
    blank_before: bool = False


def _before_end(text: str) -> str:
    """The text without one final newline: where a regex ``$`` also matches."""
    return text[:-1] if text.endswith("\n") else text


def is_terminal(text: str) -> bool:
    """True when the text ends like a finished sentence (。！？； or … with closing marks)."""
    # The same as searching [。！？…]+[”’…]*$, without trying the regex at every position.
    last = _before_end(text).rstrip(_CLOSERS)[-1:]
    return bool(last) and last in _STOPS


def looks_like_title(text: str) -> bool:
    """A short line without sentence-final punctuation: headline, kicker or subhead."""
    return 2 <= len(text) <= 64 and not is_terminal(text) and "。" not in text


def is_lead(text: str) -> bool:
    """An article's opening paragraph: 本报讯, 本报X月X日电, 新华社…电 and the like."""
    if not _LEAD_LIKE.match(text):  # the usual paragraph
        return False
    if text.startswith(_LEAD_WORDS):
        return True
    if text.startswith(("（", "(")):
        return text.startswith(("记者", "全媒体记者"), 1)
    if text.startswith(("新华社", "本报")):  # then at most 8 hanzi (a place), then the date
        agency = 3 if text[0] == "新" else 2
        place = hanzi_count(text, agency, 9)
        if place <= 8 and _DATED.match(text, agency + place):
            return True
    i = text.find("网讯", 2, 8)  # after 2 to 6 hanzi (a site's name)
    return i >= 0 and hanzi_count(text, 0, i) == i


def is_byline(text: str) -> bool:
    """A line that only names reporters (本报记者 张琳 本报通讯员 钟文婷) or ``（李驿宿）``."""
    if len(text) > 60 or _NOT_NAME.search(text):
        return False
    return bool(_BYLINE.match(text)) or (text.startswith(("（", "(")) and _is_trailing_byline(text))


def _is_name(piece: str) -> bool:
    return 2 <= len(piece) <= 4 and all(c == "·" or "\u4e00" <= c <= "\u9fff" for c in piece)


def _is_trailing_byline(text: str) -> bool:
    """Names in brackets, apart by spaces or single 、 (``（李驿宿）``, ``（张三、李四）``)."""
    text = _before_end(text)
    if len(text) < 4 or text[0] not in "（(" or text[-1] not in ")）":
        return False
    return all(map(_is_name, _NAME_SEP.split(text[1:-1])))


def is_fragment(text: str) -> bool:
    """A body paragraph cut mid-sentence (by a page break), not a headline nor a subtitle."""
    if text[:1] in SUBTITLE_DASHES:
        # ——习近平总书记的回信激励… : a subtitle (or an attribution) under the headline, long
        # and unfinished like a cut paragraph, but joining it glued it to the lead's first
        # sentence (People's Daily 2023). A paragraph is not cut before a dash.
        return False
    last = _before_end(text)[-1:]
    if not (last in _FRAGMENT_END_MARKS or "\u3400" <= last <= "\u9fff") or is_terminal(text):
        return False
    return len(text) >= 40 or (len(text) >= 12 and bool(re.search(r"[，。、；]", text)))


def _is_spam(text: str) -> bool:
    if "|" in text:
        parts = [p for p in text.split("|") if p.strip()]
        if len(parts) >= 3:
            hits = sum(1 for p in parts if _SPAM_WORDS.search(p))
            return hits * 2 >= len(parts)
    if "。" in text:  # the usual line of text: a sentence
        return False
    return len(set(_SPAM_WORDS.findall(text))) >= 5 or _is_gambling_ad(text)


def _is_gambling_ad(text: str) -> bool:
    """葡京娱乐城官网注册即送88元彩金，百家乐天天开奖 www.example-bet.com: two gambling words
    and a hook (a link, 注册, 开户, 彩金, 充值). A news report on gambling names the games in
    sentences that end on 。, which ``_is_spam`` never reads this far."""
    return len(set(_GAMBLING.findall(text))) >= 2 and bool(_AD_HOOK.search(text))


def _split_lines(text: str) -> list[Para]:
    lines = text.split("\n")
    # line n (1-based) follows a blank line when line n-1 exists and is empty
    return [
        Para(line, n, TEXT, n > 1 and not lines[n - 2])
        for n, line in enumerate(lines, start=1)
        if line
    ]


def _drop_junk(paras: list[Para]) -> tuple[list[Para], list[Dropped]]:
    """Remove spam, copyright, link lists and furniture; mark captions, credits, summaries."""
    kept: list[Para] = []
    dropped: list[Dropped] = []
    mode = ""  # "copyright" or "links" while inside such a block
    for i, p in enumerate(paras):
        t = p.text
        if mode == "copyright" and re.compile(_COPYRIGHT_CONT).search(t):
            dropped.append(Dropped(t, "copyright", p.line))
            continue
        if mode == "links" and (re.compile(_LINK_ITEM).search(t)
                                or (len(t) <= 30 and not is_terminal(t))
                                or (i and t == paras[i - 1].text)):
            dropped.append(Dropped(t, "link_list", p.line))
            continue
        mode = ""
        reason = _junk_reason(t)
        if reason:
            dropped.append(Dropped(t, reason, p.line))
            mode = {"copyright": "copyright", "link_list": "links"}.get(reason, "")
            continue
        kind = _layout_kind(t)
        # dataclasses.replace costs several times a plain constructor call
        kept.append(p if kind == p.kind else Para(t, p.line, kind, p.blank_before))
    return _mark_summaries(kept), dropped


def _junk_reason(t: str) -> str:
    if _is_spam(t):
        return "spam"
    if _COPYRIGHT.search(t):
        return "copyright"
    if not _JUNK_START.match(t):  # the usual line: only a view counter can still be junk
        return "boilerplate" if len(t) <= 120 and _FURNITURE_COUNT.search(t) else ""
    if _LINK_HEADER.match(t):
        return "link_list"
    if len(t) <= 120 and (re.compile(_FURNITURE_START).match(t) or _FURNITURE_COUNT.search(t)):
        return "boilerplate"
    if _MASTHEAD.match(t):
        return "masthead"
    if _EMPTY_LABEL.match(t):
        return "empty_label"
    return ""


def _layout_kind(t: str) -> str:
    if _CAPTION.match(t):
        return CAPTION
    if len(t) > 40:  # the usual paragraph: credits and labels are short
        return TEXT
    if _CREDIT.search(t) and not is_terminal(t):
        return CREDIT
    if _SUMMARY_LABEL.match(t) and t.lstrip("【[").startswith(
        ("阅读提示", "核心提示", "内容提要", "导读")
    ):
        return SUMMARY_LABEL
    return TEXT


def _mark_summaries(paras: list[Para]) -> list[Para]:
    """The paragraph after a 阅读提示 label (or the label's own inline text) is the box."""
    out = list(paras)
    for i, p in enumerate(out):
        if p.kind != SUMMARY_LABEL:
            continue
        inline = _SUMMARY_LABEL.match(p.text)
        if inline and inline.group(2):
            out[i] = replace(p, text=inline.group(2), kind=SUMMARY)
        elif i + 1 < len(out) and out[i + 1].kind == TEXT:
            out[i + 1] = replace(out[i + 1], kind=SUMMARY)
    return out


def _rejoin(paras: list[Para]) -> list[Para]:
    """Join body paragraphs split by a page break, skipping captions/boxes in between.

    Works from the end so that a paragraph cut twice (seed 003) is whole before the piece
    in front of it decides whether it continues.
    """
    out = list(paras)
    for i in range(len(out) - 2, -1, -1):
        p = out[i]
        if p.kind != TEXT or not is_fragment(p.text):
            continue
        j = i + 1
        while j < len(out) and out[j].kind in (CAPTION, CREDIT, SUMMARY_LABEL, SUMMARY):
            j += 1
        if j < len(out) and _continues(out, j):
            out[i] = replace(p, text=p.text + out[j].text)
            del out[j]
    return out


def _continues(paras: list[Para], j: int) -> bool:
    q = paras[j]
    if q.kind != TEXT or (looks_like_title(q.text) and len(q.text) < 60):
        return False
    if is_lead(q.text) or is_byline(q.text):
        return False
    return not (j + 1 < len(paras) and paras[j + 1].kind == CREDIT)


def _dedupe(paras: list[Para]) -> tuple[list[Para], list[Dropped]]:
    """Drop exact repeats of earlier body paragraphs and tails contained in one."""
    # "Contained in an earlier kept paragraph" is tested as "found in the body paragraphs
    # before this one, joined by newlines" (which no paragraph holds): one bounded find
    # instead of a loop. The same answer, because a dropped paragraph lies inside a kept
    # one before it, so finding it in a dropped one means finding it in a kept one.
    joined = "\n".join(p.text for p in paras if p.kind == TEXT)
    start = 0  # offset of the current body paragraph in ``joined``
    seen: set[str] = set()
    kept: list[Para] = []
    dropped: list[Dropped] = []
    for p in paras:
        t = p.text
        if p.kind != TEXT:
            kept.append(p)
            continue
        if len(t) >= 10 and (t in seen or (joined.find(t, 0, start) >= 0 and is_terminal(t))):
            dropped.append(Dropped(t, "duplicate", p.line))
        else:
            seen.add(t)
            kept.append(p)
        start += len(t) + 1
    return kept, dropped


def clean_page(text: str) -> tuple[list[Para], list[Dropped]]:
    """Normalize a decoded page and clean it line by line.

    Returns the remaining paragraphs in reading order (kinds ``text``, ``caption``, ``credit``,
    ``label``, ``summary``) and the dropped lines with their reasons.
    """
    notes = _mojibake_notes(text)
    paras = _split_lines(normalize_text(text))
    paras, dropped = _drop_junk(paras)
    paras = _rejoin(paras)
    paras, repeats = _dedupe(paras)
    return paras, notes + dropped + repeats


def _mojibake_notes(text: str) -> list[Dropped]:
    """Record repaired or unrepairable out-of-step decoding, so no change is silent."""
    notes: list[Dropped] = []
    if not has_mojibake(text):  # no pattern match crosses a line end: one whole-text search
        return notes
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if "!" not in line and "！" not in line:
            continue
        for bad, fixed in mojibake_repairs(line):
            if fixed == bad:
                notes.append(Dropped(bad, "mojibake", number))
            else:
                notes.append(Dropped(f"{bad} → {fixed}", "mojibake_repaired", number))
    return notes
