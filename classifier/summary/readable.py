"""Whether a term means something to a person: the shared test for keywords and evidence.

Keywords (``summary.keyterms``) and the terms behind a theme (``model.theme_model``) are read
by people, so both drop (issue 11, "Scores a user can read"):

- **fragments**: single characters; a two-character term that is not a word of the segmenter's
  dictionary (jieba's, with the package user dictionary, ``text.tokens``) nor one of the few
  newer words in ``NEW_WORDS`` (``递员`` from 快递员, ``难职`` from 困难职工); and, in an
  article, a term that never stands on its own there, only inside longer words (``联会``
  inside 工联会, ``形态`` inside 新就业形态): see ``readable_in`` and ``occurs_as_word``;
- **generic words**: the curated stop list (``data/stopwords.txt``: 围绕, 了解, 全市 …);
- **counters**: a numeral or 余/多/第/首 with a measure word (九届, 十次, 余份, 第三届,
  两名, 3家, 万余条) and bare numbers (2020, 3.5%, 12月);
- **byline names**: the reporters an article names (``byline_names``: 张三 from
  ``（记者张三）``, 本报记者 王伟, 通讯员 李明, ``张三 摄``);
- **given names**: a two-character word that in the article only follows a surname the
  segmenter cut off (志强 of 李志强, 清明 of 邓清明): ``is_given_name``.

``is_readable_term`` judges a term alone and is cached per term; ``readable_in`` adds what
only the article can tell, and ``byline_names`` reads the article's reporters once. They are
called per evidence term per article while labelling (~1,600 articles/s), so everything
that does not depend on the article is computed once per term, and a caller that knows a
term stands alone (a word the segmenter cut in the article) skips the text look-up.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from classifier.text import tokens
from classifier.text.hanzi import hanzi_count
from classifier.text.tokens import cut

__all__ = [
    "NEW_WORDS",
    "byline_names",
    "is_counter",
    "is_dictionary_word",
    "is_given_name",
    "is_readable_term",
    "occurs_as_word",
    "readable_in",
    "stopwords",
]

# Two-character words common in union and national news since jieba's dictionary was made
# (2013), which therefore reads them as non-words. Found by listing the two-character
# keywords and evidence terms that are not dictionary words over 300 People's Daily 2020
# articles, 300 union-press items and the seed pages, and keeping the real words; the rest
# of that list were pieces of names or of longer words (纺园, 吉琴, 凯信, 递员).
NEW_WORDS = frozenset(
    "抗疫 托育 冷链 暖心 国赛 赛项 雄安 快手 老旧 网红 线上 复产 援企 新冠 助企 纾困 降费 "
    "新规 网购 众筹 数智 双碳 研学 康养 普惠 集采".split()
)
_HAS_WORD_CHAR = re.compile(r"[^\W\d_]")
# Numbers with an optional unit or date suffix carry no topic: 2020, 3.5%, 2020年, 第3, 12月.
_NUMBER = re.compile(r"^第?[\d.,%‰+\-]+(?:[年月日号时分秒万亿千百十元个名人次届期岁倍吨]+)?$")
_NUMERAL = "[零〇一二两三四五六七八九十百千万亿几数]"
_MEASURE_WORDS = (
    "个 名 位 次 届 期 家 份 件 项 场 批 种 类 条 所 座 辆 台 套 元 美元 人 岁 年 月 日 "
    "天 周 轮 起 例 户 处 张 本 篇 部 吨 亩 公里 千米 米 平方米 小时 分钟 秒 倍 段 级 组 "
    "支 架 艘 枚 株 棵 头 只 斤 公斤 千克 层 栋 间 笔 票 股 双 对 册 集 版 号 成 "
    "季度 人次 万 亿 千 百 余 多"
).split()
# The one-character words as one class: an alternation of ~90 words took ~1 ms to compile.
_MEASURE = ("(?:[" + "".join(w for w in _MEASURE_WORDS if len(w) == 1) + "]|"
            + "|".join(w for w in _MEASURE_WORDS if len(w) > 1) + ")")
# After 余/多 alone only measures of a count of things or people: 余份, 多家, 多名, but not
# 多元 or 多层 (words in their own right).
_COUNT_MEASURE = "(?:人次|[名家个位人次件项场批种条所份户处张辆台套届期万亿千百])"
# 九届, 十次, 余份, 多家, 第三届, 两名, 3家, 万余条, 亿人次, 首届, 第一: a count or a rank,
# not a topic. A measure word must follow the numeral, so 两会, 三农, 十九大 and 五一 stay.
# (A numeral with its prefix, or 第/首 alone, then measures: one copy of _MEASURE.)
_COUNTER = re.compile(
    rf"^(?:(?:(?:第|首|约|近|逾|超|共|每|上|这|该)?(?:{_NUMERAL}+|[\d.,０-９]+)[余多]?|第|首)"
    rf"{_MEASURE}+|[余多]{_COUNT_MEASURE}+|第{_NUMERAL}+)$"
)
# A number written in words with a ten or a hundred in it: 十八, 二十, 三十五, 一百. Not 五一 or
# 三八 (May Day, Women's Day), nor 万一 (a word).
_WORDED_NUMBER = re.compile(r"^[零〇一二两三四五六七八九]*[十百][零〇一二两三四五六七八九十百]*$")
# Roles that introduce a reporter's name (separator optional: 记者张三, 记者 张三, 记者：张三)
# and credits that need a colon (版式设计：张丹峰); 摄 follows a name (张三 摄, 张三摄).
_ROLE = (r"(?:(?:本报|新华社|人民日报|工人日报|央视|本刊)?(?:特约|见习|首席|实习)?"
         r"(?:记者|通讯员|实习生|撰稿人?|摄影)|文\s*/\s*图|图\s*/\s*文)")
_CREDIT = r"(?:版式设计|制图|绘图|漫画|插图|图片|图|视频|校对|责编|责任编辑|编辑|撰文|文)"
_NAME = r"[\u4e00-\u9fff]{2,4}(?:·[\u4e00-\u9fff]{1,8})?"
_SEP = r"[ \t\u3000、，,]+"  # never a line end: the next line is body text
_SPLIT = re.compile(_SEP)
_NAMES = rf"{_NAME}(?:{_SEP}{_NAME})*"
# Where a byline can be: a role word, a colon or slash (版式设计：…, 文/图 …) or 摄. Found
# with str.find (about 2 us per anchor on a 1,400-character article; a regex alternation of
# them took 120 us); the name patterns then run only there (tried at every position of an
# article they took 1.6 ms).
# Role words and 摄 are looked for everywhere (a byline may close each part of a compiled
# report); the rarer roles and credit marks only in the opening and the closing lines.
_ANCHORS = ("记者", "通讯员", "摄")
_EDGE_ANCHORS = ("实习生", "撰稿", "：", ":", "/")
_EDGE = 300
# A list of names after a role, ending where a byline ends (space, bracket, slash, line end,
# the next role), never at a comma or full stop: 记者了解到，… names no one.
_END = rf"(?=[\s）)】\]/]|$|{_ROLE})"
# The name list after a role word (记者张三 通讯员李四) and after a credit's colon or a 文/图
# slash: these patterns define what is read. Each costs ~8 ms to compile (CPython marks every
# code point of its four CJK classes one by one), which a one-page ``classify`` paid on every
# start (issue 14); so the first ``_REGEX_AFTER`` reads of a process are made by
# ``_names_end``, which finds the same names in Python (tests/test_startup.py compares them)
# at about a third of the speed, and later reads (a batch) by the compiled pattern.
_AFTER_ROLE = rf"(?:记者|通讯员|实习生|撰稿人?|摄影)\s*[：:/]?[ \t\u3000]*(?P<names>{_NAMES}){_END}"
_AFTER_MARK = rf"[ \t\u3000]*(?P<names>{_NAMES}){_END}"
# 张三 摄 / （张三摄） / 张三/摄 / 。赵东山摄（新华社发）: the names end right before 摄. Compiled
# when first needed (a photo credit).
_BEFORE_PHOTO = rf"(?<![\u4e00-\u9fff·])(?P<names>{_NAMES})[ \t]*/?[ \t]*$"
_REGEX_AFTER = 256
_reads = itertools.count()  # next() is atomic: threads share it safely
_ROLE_THEN_SPACE = re.compile(r"(?:记者|通讯员|实习生|撰稿人?|摄影)\s*[：:/]?[ \t\u3000]*")
_ROLE_AT = re.compile(_ROLE)
_ROLE_FIRST = frozenset("本新人工央特见首实记通撰摄文图")  # the first characters of _ROLE
_SEP_CHARS = frozenset(" \t\u3000、，,")
_END_MARKS = frozenset("）)】]/")
_CREDIT_BEFORE = re.compile(rf"{_CREDIT}\s*$")



def _names_end(text: str, start: int) -> int:
    """Where a name list (``_NAMES`` then ``_END``) starting at ``text[start]`` ends, or -1.

    The end the regex finds: its first success in its order of trial (a longer name first,
    and one more name after a separator before stopping). Of the ends a name can have (2-4
    hanzi, then maybe · and 1-8 more), only the one at the end of its run of hanzi can be
    followed by a separator and so by another name; the list is therefore a chain of names,
    walked forward, then decided backward (no recursion, whatever its length).
    """
    size = len(text)
    chain: list[tuple[list[int], int]] = []  # each name's possible ends, and the one going on
    while True:
        ends: list[int] = []
        going_on = -1
        for end in range(start + hanzi_count(text, start, 4), start + 1, -1):
            if text[end : end + 1] == "·":  # after the whole run only: 阿依古丽·买买提
                more = hanzi_count(text, end + 1, 8)
                ends.extend(range(end + 1 + more, end + 1, -1))
                if text[end + 1 + more : end + 2 + more] in _SEP_CHARS and more:
                    going_on = end + 1 + more
            elif text[end : end + 1] in _SEP_CHARS:
                going_on = end
            ends.append(end)
        chain.append((ends, going_on))
        if going_on < 0:
            break
        start = going_on + 1
        while start < size and text[start] in _SEP_CHARS:
            start += 1
    found = -1  # where the rest of the list ends, after the name being decided
    for ends, going_on in reversed(chain):
        rest, found = found, -1
        for end in ends:
            if end == going_on and rest >= 0:
                found = rest
                break
            if end >= size:  # _END: the text's end, whitespace, a bracket, a slash, a role
                found = end
                break
            char = text[end]
            if char in _END_MARKS or char.isspace() or (
                    char in _ROLE_FIRST and _ROLE_AT.match(text, end)):
                found = end
                break
    return found


def _after_role(text: str, i: int) -> str:
    """The names of ``_AFTER_ROLE`` matched at ``text[i]``, or ''."""
    if next(_reads) >= _REGEX_AFTER:
        m = re.compile(_AFTER_ROLE).match(text, i)
        return m["names"] if m else ""
    m = _ROLE_THEN_SPACE.match(text, i)
    if not m:
        return ""
    starts = [m.end()]
    if m[0].startswith("撰稿人"):  # as the regex backtracks: 撰稿, then a name from 人 on
        starts.append(i + 2)
    for start in starts:
        end = _names_end(text, start)
        if end >= 0:
            return text[start:end]
    return ""


def _after_mark(text: str, i: int) -> str:
    """The names of ``_AFTER_MARK`` matched at ``text[i]``, or ''."""
    if next(_reads) >= _REGEX_AFTER:
        m = re.compile(_AFTER_MARK).match(text, i)
        return m["names"] if m else ""
    while i < len(text) and text[i] in " \t\u3000":
        i += 1
    end = _names_end(text, i)
    return text[i:end] if end >= 0 else ""


_OPENING = 200
# Common surnames: a glued name (记者张三日前…) must start with one, so that 记者了解到,
# 记者走进车间 name no one.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "令狐", "皇甫", "尉迟", "公孙",
                      "慕容", "长孙", "宇文", "司徒", "夏侯", "端木")


# Not a regex: the class [\u3400-\u9fff] costs ~2.5 ms to compile, on every start (issue 14).
# Cached: min and max are ~4x slower than the regex, a cache look-up ~2x faster (the same
# terms come back in every article).
@lru_cache(maxsize=1 << 16)
def _all_hanzi(term: str) -> bool:
    """Whether ``term`` is one or more characters of U+3400..U+9FFF (a final newline aside,
    as a regex ``^[\u3400-\u9fff]+$`` reads it)."""
    if term.endswith("\n"):
        term = term[:-1]
    return bool(term) and "\u3400" <= min(term) and max(term) <= "\u9fff"


def _dictionary() -> Any:
    # The segmenter that cut the article's words: its dictionary (jieba's + the package user
    # dictionary) is what "a word" means here.
    return tokens._rjieba()


def is_dictionary_word(term: str) -> bool:
    """Whether ``term`` is a word of the segmenter's dictionary (jieba's + the user's)."""
    return bool(_dictionary().has_word(term))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The packaged stop-word list (loaded once, on first use)."""
    text = resources.files("classifier").joinpath("data/stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_counter(term: str) -> bool:
    """A count, rank or number rather than a topic: 九届, 余份, 第三届, 3家, 2020年, 3.5%, and
    a number in words (十八, 二十, 一百: what is left of 十八大 when the segmenter splits it)."""
    return bool(_NUMBER.match(term) or _COUNTER.match(term) or _WORDED_NUMBER.match(term))


@lru_cache(maxsize=1 << 17)
def is_readable_term(term: str) -> bool:
    """Whether ``term`` can mean something to a reader on its own (see the module doc).

    False for single characters, stop words, counters and numbers, terms with no letter,
    and two-character Chinese terms that are not dictionary words (nor in ``NEW_WORDS``).
    Expects lowercased, normalized text (as tokens and feature terms are). Cached per term.
    """
    if len(term) < 2 or term in stopwords() or is_counter(term):
        return False
    if not _HAS_WORD_CHAR.search(term):
        return False
    if len(term) == 2 and _all_hanzi(term):
        return term in NEW_WORDS or is_dictionary_word(term)
    return True


def occurs_as_word(term: str, text: str, *, limit: int = 4) -> bool:
    """Whether ``term`` stands on its own at least once in ``text``: an occurrence whose two
    ends are word boundaries of the segmenter (a word, or a run of whole words).

    Only the first ``limit`` occurrences are looked at, each by cutting a short window around
    it (the segmenter's choices are local), so the cost does not grow with the article.
    """
    start = text.find(term)
    seen = 0
    while start >= 0 and seen < limit:
        end = start + len(term)
        lo, hi = max(0, start - 6), min(len(text), end + 6)
        edges = {lo}
        pos = lo
        for token in cut(text[lo:hi]):
            pos += len(token)
            edges.add(pos)
        # The window's own ends are boundaries only when they are the text's.
        if (start in edges and (start > lo or lo == 0)) and (end in edges and
                                                              (end < hi or hi == len(text))):
            return True
        seen += 1
        start = text.find(term, start + 1)
    return False


def readable_in(term: str, title: str, text: str, names: frozenset[str] = frozenset(),
                standalone: bool | None = None) -> bool:
    """``is_readable_term`` in one article: also not one of its byline ``names``
    (``byline_names(text)``) nor only a given name there (``is_given_name``: 志强 of 李志强),
    and standing on its own somewhere in it, not only inside longer words (``递员`` in 快递员,
    ``联会`` in 工联会, ``形态`` in 新就业形态).

    ``standalone`` is that last fact when the caller knows it (a word the segmenter cut in
    this article stands alone; a vocabulary word whose count is zero does not); ``None``
    looks it up in the normalized ``title`` and ``text`` (``occurs_as_word``). A term found
    in neither is judged on its own.
    """
    if not is_readable_term(term) or term in names:
        return False
    if is_given_name(term, title, text):
        return False
    if standalone is not None:
        return standalone
    if not _all_hanzi(term):  # Latin, digits: the segmenter keeps runs of them whole
        return True
    found = False
    for part in (title, text):
        if term in part:
            found = True
            if occurs_as_word(term, part):
                return True
    return not found


# Surnames that are also among the commonest one-character words (和 "and", 高 "high", 党
# "the Party", 于, 向, 时, 余, 全, 应, 常; 段 "section", 米 "metre"): after them a word is a word
# (规则和算法, 抗议高通胀, 黄河山西段下游, 100米决赛), seldom a given name.
_WORD_SURNAMES = frozenset("和高党于向时余全应常段米")
_GIVEN_NAME_LOOKS = 8


def is_given_name(term: str, *texts: str) -> bool:
    """Whether the two-character ``term`` is only a person's given name in ``texts``: every
    occurrence follows a common surname that the segmenter cut off alone (李/志强 in
    ``李志强班``, 邓/清明 in ``授予邓清明``), so that shown alone it is a piece of a name.

    False when ``term`` is not two hanzi, is in none of ``texts``, or stands once without a
    surname before it. Past the first ``_GIVEN_NAME_LOOKS`` occurrences the rest are not
    looked at (a name that recurs that often is a name).
    """
    if len(term) != 2 or not _all_hanzi(term):
        return False
    seen = 0
    for text in texts:
        start = text.find(term)
        while start >= 0:
            if seen == _GIVEN_NAME_LOOKS:
                return True
            surname = text[start - 1 : start] if start else ""
            if not surname or surname not in _SURNAMES or surname in _WORD_SURNAMES:
                return False
            if text[start - 2 : start - 1].isdigit():  # a unit after a number: 5万, 3方
                return False
            if not _cut_alone_before(text, start):
                return False
            seen += 1
            start = text.find(term, start + 1)
    return seen > 0


def _cut_alone_before(text: str, start: int) -> bool:
    """Whether the segmenter cuts ``text[start - 1]`` as a word of its own and starts a word
    at ``start`` (李/志强, not 李志/强 nor 杨李/志强), reading a short window around them."""
    lo = max(0, start - 6)
    pos = lo
    for token in cut(text[lo : start + 4]):
        if pos == start - 1:
            return len(token) == 1
        if pos > start - 1:
            return False
        pos += len(token)
    return False


# Keywords and evidence both ask for the same article's names, a batch apart.
@lru_cache(maxsize=1024)
def byline_names(text: str, byline: str = "") -> frozenset[str]:
    """Names of the reporters and photographers of an article.

    Read from ``byline`` (``Article.byline``) and from ``text``: a name list after a role
    (``（记者张三 通讯员李四）``, ``本报记者 王伟 本报通讯员 李明``, ``记者：张三、李四``,
    ``新华社记者 张三摄``), a name before 摄 (``（张三 摄）``) and, in the opening only, a
    name glued to the sentence that follows (``记者张三日前从市总工会获悉``), which must
    start with a common surname. About 60 us for a 1,400-character article; the last 1,024
    answers are kept.
    """
    names: set[str] = set()
    for source in (byline, text):
        if not source:
            continue
        n = len(source)
        # The opening and closing lines: one span for a short text.
        spans = ((0, n),) if n <= 2 * _EDGE else ((0, _EDGE), (n - _EDGE, n))
        for anchors, where in ((_ANCHORS, ((0, n),)), (_EDGE_ANCHORS, spans)):
            for lo, hi in where:
                for anchor in anchors:
                    i = source.find(anchor, lo, hi)
                    while i >= 0:
                        names.update(_names_at(source, i, anchor))
                        if i < _OPENING and source is text and len(anchor) >= 2:
                            # 记者张三日前从… : a name glued to the sentence, in the opening.
                            start = i + len(anchor)
                            glued = text[start : start + hanzi_count(text, start, 4)]
                            if len(glued) >= 2:
                                names.update(_glued_names(glued))
                        i = source.find(anchor, i + 1, hi)
    # Not a role (本报记者), nor a dictionary word that starts with no surname (记者手记
    # names no 手记; 李四 and 高峰 may be names).
    return frozenset(n for n in names if not _ROLE_WORD.search(n) and not (
        _surname_size(n) == 0 and is_dictionary_word(n)))


_ROLE_WORD = re.compile(r"记者|通讯员|实习生|本报|新华社|编辑|撰稿|摄影")


def _names_at(text: str, i: int, anchor: str) -> list[str]:
    """The names of a byline whose role word, colon, slash or 摄 is at ``text[i]``."""
    if anchor == "摄":
        if text[i + 1 : i + 2] == "影":  # the role 摄影(：)张三
            run = _after_role(text, i)
        else:
            m = re.compile(_BEFORE_PHOTO).search(text, max(0, i - 40), i)
            run = m.group("names") if m else ""
    elif anchor in "：:":
        if not _CREDIT_BEFORE.search(text, max(0, i - 6), i):
            return []
        run = _after_mark(text, i + 1)
    elif anchor == "/":  # 文/图 王五, 图/文 王五
        if not (text[i - 1 : i] in ("文", "图") and text[i + 1 : i + 2] in ("文", "图")):
            return []
        run = _after_mark(text, i + 2)
    else:
        run = _after_role(text, i)
    return _split_names(run) if run else []


def _split_names(run: str) -> list[str]:
    # 记者史家民摄: the photo mark is no part of the name.
    names = (n[:-1] if n.endswith("摄") else n for n in _SPLIT.split(run))
    return [n for n in names if 2 <= len(n.replace("·", "")) <= 12]


def _surname_size(name: str) -> int:
    """Length of the common surname ``name`` starts with (欧阳: 2, 王: 1), else 0."""
    return 2 if name[:2] in _COMPOUND_SURNAMES else 1 if name[:1] in _SURNAMES else 0


def _glued_names(rest: str) -> list[str]:
    """Names that may start ``rest`` (记者张晓明日前… -> 张晓, 张晓明), or none when it does
    not start with a common surname. Both lengths are taken: a wrong one only hides a term
    that would have followed 记者 in the opening."""
    size = _surname_size(rest)
    if not size:
        return []
    return [rest[: size + k] for k in (1, 2) if len(rest) >= size + k]
