"""Character-level normalization: pure, idempotent functions of a string.

``normalize_text`` is applied to every text before it is split, featurized or summarized, at
training and at prediction time alike, so People's Daily training text and union web pages
reach the model in the same character forms.

Punctuation policy (issue 2): full-width ASCII variants (ＡＢＣ１２３％) become ASCII; the
punctuation marks ``, ; : ! ? ( )`` become their full-width Chinese forms (，；：！？（）) when a
Chinese character or Chinese punctuation mark stands next to them, and stay ASCII elsewhere
(``1,000``, ``E-mail:a@b.cn``). People's Daily text already follows this convention; union web
pages often type ASCII commas between Chinese characters.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = [
    "has_mojibake",
    "mojibake_repairs",
    "normalize_text",
    "repair_mojibake",
    "to_simplified",
]

# Control and zero-width characters (deleted) and odd spaces (to a plain space).
_CONTROL = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xAD,
            *range(0x200B, 0x2010), 0x2028, 0x2029, *range(0x202A, 0x202F),
            *range(0x2060, 0x2065), 0xFEFF, *range(0xFFF9, 0xFFFC)]
_ODD_SPACE = [0x09, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]
_MULTI_SPACE = re.compile(r" {2,}")
_EDGE_SPACE = re.compile(r" *\n *")

# Chinese characters and the Chinese punctuation that never results from our own width
# conversion: membership of this class is unchanged by a pass, which keeps the pass idempotent.
_CJK_RANGES = ((0x2018, 0x201F), (0x2026, 0x2026), (0x2E80, 0x2FDF), (0x3001, 0x303F),
               (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
               (0xFE30, 0xFE4F), (0x20000, 0x2FA1F))
_CJK = "".join(rf"\U{lo:08x}-\U{hi:08x}" for lo, hi in _CJK_RANGES)  # as a regex class body
# The same set for ``bisect``: a code point is in it when an odd number of bounds are <= it.
_CJK_BOUNDS = tuple(bound for lo, hi in _CJK_RANGES for bound in (lo, hi + 1))
_TO_WIDE = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_TO_NARROW = {wide: narrow for narrow, wide in _TO_WIDE.items()}


@lru_cache(maxsize=1)
def _widen() -> re.Pattern[str]:
    """The marks that become full width in Chinese context and ASCII elsewhere, beside a
    Chinese character.

    The pattern starts with the mark (lookarounds second), so that the regex engine scans for
    it instead of trying a lookbehind at every character. One pattern for all marks (each
    copy of the large ``_CJK`` class costs ~4 ms to compile, and eight patterns cost ~60 ms of
    every start: issue 14); compiled when a text first has one of them (People's Daily text
    rarely has). A mark's neighbours decide alone: no mark, ASCII or full width, is in
    ``_CJK``, so one pass equals a pass per mark.
    """
    marks = "".join(map(re.escape, _TO_WIDE))
    return re.compile(rf"[{marks}](?:(?<=[{_CJK}].)|(?=[{_CJK}]))")


@lru_cache(maxsize=1)
def _narrow_mark() -> re.Pattern[str]:
    """A full-width mark of ``_TO_NARROW`` with no Chinese character beside it."""
    return re.compile(rf"[，；：！？（）](?<![{_CJK}].)(?![{_CJK}])")


def _wide(match: re.Match[str]) -> str:
    return _TO_WIDE[match[0]]


# The two patterns above hold two copies of _CJK each, ~11 ms to compile (CPython marks its
# ~29,000 code points one by one): a one-page ``classify`` paid that on every start (issue
# 14). So the first ``_REGEX_AFTER`` texts of a process are settled by ``_settle_marks_here``
# in Python (one pass over the marks, the same result: tests/test_startup.py compares them),
# and later texts (a batch) by the patterns, ~6x faster on People's Daily text (15 us a text).
_REGEX_AFTER = 32
_settled = itertools.count()  # next() is atomic: threads share it safely
_ANY_MARK = re.compile("[" + re.escape("".join(_TO_WIDE) + "".join(_TO_NARROW)) + "]")
# U+FF01..U+FF5E are full-width forms of ASCII 0x21..0x7E. The full-width marks above are left
# alone here and settled by _settle_marks: narrowing all of them and widening most back (the
# plain reading) touched every Chinese comma, ~5% of People's Daily text, twice. The passes in
# between treat both widths alike (OpenCC has no dictionary entry with either); the tests
# compare the result with the plain reading.
_NARROW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _TO_NARROW}
# One translate does all three character maps (none feeds another).
_CHAR_MAP: dict[int, int | None] = {**_NARROW, **dict.fromkeys(_ODD_SPACE, 0x20),
                                    **dict.fromkeys(_CONTROL)}


def _char_class(code_points: Iterable[int]) -> str:
    """A regex character class of the code points, as ranges (compact, and fast to match)."""
    ranges: list[list[int]] = []
    for cp in sorted(code_points):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (rf"\U{a:08x}" if a == b else rf"\U{a:08x}-\U{b:08x}" for a, b in ranges)
    return "[" + "".join(parts) + "]"


# str.translate looks every character up in a dict (~40 MB/s on Chinese text); finding the
# rare runs to map with a regex and translating only those is ~10x faster.
_MAPPED_RUN = re.compile(_char_class(_CHAR_MAP) + "+")

# Pinyin glued after a character: 團結(jié), 攻(gōng )坚. A tone mark is required so that
# bracketed Latin words such as (PaaS) or (App) survive.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_AFTER_BRACKET = (
    rf"(?<=[\u3400-\u9fff][（(]) *(?=[a-zü{_TONED} ]*[{_TONED}])[a-zü{_TONED}]+"
    rf"(?: +[a-zü{_TONED}]+)* *[)）]"
)
# Emoji (and pictographic symbols) in brackets: (🍽) （✌️）
_EMOJI = r"\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d"
# Both removals in one pass: their matches cannot overlap (letters vs. emoji inside) and
# neither depends on text the other removes. The bracket comes first so that the engine scans
# for it; the pinyin's "after a character" test is then a lookbehind over the bracket.
_BRACKETED = rf"[（(](?:{_PINYIN_AFTER_BRACKET}| *[{_EMOJI}]+ *[)）])"
# Every match of _BRACKETED starts so (a bracket, spaces, a pinyin letter or an emoji): a text
# without such a start skips the pass, and _BRACKETED (its CJK class costs ~3.5 ms to compile)
# is compiled only for a text that has one (issue 14). Found by a scan for the bracket, about
# as fast as the pass's own scan.
_BRACKETED_START = re.compile(rf"[（(] *[a-zü{_TONED}{_EMOJI}]")


@lru_cache(maxsize=1)
def _bracketed() -> re.Pattern[str]:
    return re.compile(_BRACKETED)


# A UTF-8 or GB text that was decoded one byte out of step turns 。” (A1A3 A1B1) into ?!…:
# the run after it is GB18030 re-read one byte late, ending at the ASCII trail byte where the
# decoder fell back into step (seed 001: 勢在必行?!比珖f(xié) for 勢在必行。”全國政協(xié)).
_MOJIBAKE = re.compile(r"[?？][!！]([^\x00-\x7f]{1,40}[\x40-\x7e])")
_UNLIKELY_STOP = r"。[”’」』]?[，、；：]"  # compiled when a repair is first tried
_OLD_FE_ROW = [*range(0xFE50, 0xFE7F), *range(0xFE80, 0xFEA1)]

_opencc: Any = None
_opencc_lock = threading.Lock()


def _converter() -> Any:
    global _opencc
    if _opencc is None:
        with _opencc_lock:
            if _opencc is None:
                import opencc  # lazy: the converter loads its dictionaries on creation

                _opencc = opencc.OpenCC("t2s")
    return _opencc


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese with OpenCC's ``t2s`` profile."""
    if not text or text.isascii():
        return text
    converted: str = _converter().convert(text)
    return converted


def _gb_bytes(text: str) -> bytes:
    """GB18030 bytes, mapping the private-use code points of GB18030-2000's FE row back."""
    out = bytearray()
    for ch in text:
        cp = ord(ch)
        if 0xE815 <= cp <= 0xE864:
            out += _OLD_FE_ROW[cp - 0xE815].to_bytes(2, "big")
        else:
            out += ch.encode("gb18030")
    return bytes(out)


def _decoded_run(run: str) -> str | None:
    """The run re-read in step (``_MOJIBAKE``), or None when it does not decode cleanly."""
    try:
        fixed = (b"\xa1" + "！".encode("gb18030") + _gb_bytes(run)).decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    if not fixed.startswith("。") or any(0xE000 <= ord(c) <= 0xF8FF for c in fixed):
        return None
    return fixed


def _repair_run(match: re.Match[str]) -> str:
    fixed = _decoded_run(match.group(1))
    if fixed is None:
        # Normalizing simplifies the characters after this repair, so normalizing twice
        # re-reads the simplified run (团 instead of 團): that reading decides here too, or a
        # second pass would repair what the first left alone (normalization is idempotent).
        simple = _simplify(match.group(1))
        fixed = _decoded_run(simple) if simple != match.group(1) else None
    if fixed is None:
        return match.group(0)
    if re.match(_UNLIKELY_STOP, fixed):
        # The first character's lead byte is lost; 。 is only a guess (the usual case). A
        # full stop then a clause mark (。”，) says the guess is wrong: mark it unknown rather
        # than invent a sentence end (seed 001: “六?!保瑥V is “六保”，廣, not “六。”，廣).
        return "\ufffd" + fixed[1:]
    return fixed


def repair_mojibake(text: str) -> str:
    """Repair GB text that was decoded one byte out of step (see ``_MOJIBAKE``).

    Runs that do not decode cleanly are left untouched; callers report them.
    """
    if "!" not in text and "！" not in text:
        return text
    return _MOJIBAKE.sub(_repair_run, text)


def has_mojibake(text: str) -> bool:
    """Whether ``text`` holds an out-of-step run (a cheap test before a line-by-line look)."""
    return ("!" in text or "！" in text) and _MOJIBAKE.search(text) is not None


def mojibake_repairs(text: str) -> list[tuple[str, str]]:
    """Each out-of-step run found in ``text`` with its repair (equal when unrepairable)."""
    return [(m.group(0), _repair_run(m)) for m in _MOJIBAKE.finditer(text)]


def _narrow(match: re.Match[str]) -> str:
    return _TO_NARROW[match.group(0)]


def _map_run(match: re.Match[str]) -> str:
    return match.group(0).translate(_CHAR_MAP)


def _simplify(text: str) -> str:
    # t2s can, rarely, map a character to one that maps again: settle to a fixed point.
    for _ in range(3):
        again = to_simplified(text)
        if again == text:
            break
        text = again
    return text


def _settle_marks(text: str) -> str:
    """The marks of ``_TO_WIDE`` in full width beside Chinese, in ASCII elsewhere.

    Each mark is decided by its neighbours alone, and no mark counts as Chinese, so the
    passes cannot disturb each other.
    """
    if next(_settled) < _REGEX_AFTER:
        return _settle_marks_here(text)
    if any(mark in text for mark in _TO_WIDE):  # rare in People's Daily: skip the scan
        text = _widen().sub(_wide, text)
    return _narrow_mark().sub(_narrow, text)


def _is_cjk(char: str) -> bool:
    """Whether ``char`` (one character, or '' for none) is in ``_CJK``."""
    return char >= "\u2018" and bisect_right(_CJK_BOUNDS, ord(char)) % 2 == 1


def _settle_marks_here(text: str) -> str:
    """``_settle_marks`` by one pass over the marks in Python: no pattern with ``_CJK``.

    A widened mark has a Chinese neighbour, so the narrowing pass would leave it alone, and
    no mark is in ``_CJK``: deciding every mark by its neighbours in ``text`` is the same.
    """
    parts: list[str] = []
    done = 0
    for match in _ANY_MARK.finditer(text):
        i = match.start()
        mark = match[0]
        beside = _is_cjk(text[i + 1 : i + 2]) or _is_cjk(text[i - 1 : i])
        settled = (_TO_WIDE.get(mark, mark) if beside else _TO_NARROW.get(mark, mark))
        if settled != mark:
            parts += (text[done:i], settled)
            done = i + 1
    return "".join(parts) + text[done:] if parts else text


def _strip_lines(text: str) -> str:
    """Strip each line: drop the spaces beside a newline and at both ends.

    After ``_CHAR_MAP`` (and ``\\r`` to ``\\n``) the space and the newline are the only
    whitespace left (a test checks this), so no ``str.strip`` per line is needed.
    """
    if " \n" in text or "\n " in text:
        text = _EDGE_SPACE.sub("\n", text)
    return text.strip(" ")


def _normalize(text: str) -> str:
    text = _MAPPED_RUN.sub(_map_run, text)
    # A pass is skipped when a cheap test shows it cannot match.
    if ("(" in text or "（" in text) and _BRACKETED_START.search(text):
        text = _bracketed().sub("", text)
    text = _settle_marks(_simplify(text))
    if "  " in text:
        text = _MULTI_SPACE.sub(" ", text)
    return text


def normalize_text(text: str) -> str:
    """Clean a text for reading and featurization; see ``_normalize_text``.

    Recent results are remembered: labelling an article normalizes the same (already
    normalized) title and body again for features, keywords and summaries.
    """
    if len(text) > _CACHED_TEXT:
        return _normalize_text(text)
    return _normalize_text_cached(text)


_CACHED_TEXT = 50_000


@lru_cache(maxsize=512)
def _normalize_text_cached(text: str) -> str:
    return _normalize_text(text)


def _normalize_text(text: str) -> str:
    """Clean a text for reading and featurization; keeps its line structure.

    Steps: repair out-of-step GB mojibake; NFC; drop control and zero-width characters; odd
    spaces to a plain space; full-width ASCII to ASCII; remove pinyin glued to characters and
    emoji in brackets; traditional to simplified (OpenCC t2s); Chinese-context punctuation to
    full width; collapse runs of spaces; strip each line. Idempotent.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = repair_mojibake(text)
    text = unicodedata.normalize("NFC", text)
    # Whole-text regex passes are much faster than a Python loop over lines; no pattern but
    # the line-end one matches across a newline.
    return _strip_lines(_normalize(text))
