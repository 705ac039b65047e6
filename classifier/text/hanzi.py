"""How plausible a decoded text is as Chinese: the judge between GB18030 and Big5 (``io``).

A wrong legacy codec still yields characters, but rarer ones, private-use code points and
replacement characters; common hanzi sets come from Python's own codecs, so no word list is
shipped.
"""

from __future__ import annotations

import functools

__all__ = ["chinese_score", "hanzi_count"]


def hanzi_count(text: str, start: int, most: int) -> int:
    """How many characters of U+4E00..U+9FFF (CJK unified ideographs) start ``text[start:]``,
    at most ``most``.

    What a regex ``[\u4e00-\u9fff]{0,most}`` would take there, without one: CPython compiles
    such a class by marking its 20,992 code points one by one (~1.5 ms a copy, issue 14).
    """
    count = 0
    for char in text[start : start + most]:
        if not "\u4e00" <= char <= "\u9fff":
            break
        count += 1
    return count


@functools.lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """The ~7,000 most common simplified and traditional characters, taken from the codecs.

    GB2312 level 1 (rows B0-D7: 3,755 characters chosen for frequency) and the Big5 "frequently
    used" block (A440-C67E: 5,401 characters) come with Python, so no word list is shipped.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            chars.update(bytes((lead, trail)).decode("gb2312", errors="ignore"))
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if lead == 0xC6 and trail > 0x7E:
                break
            chars.update(bytes((lead, trail)).decode("big5", errors="ignore"))
    return frozenset(chars)


_PINYIN = frozenset("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê")


# Traditional forms of the characters in charset-normalizer's top-100 Chinese list that differ.
_TRADITIONAL_TOP = "這個們來為爲國說時會對發後過經麼學現當動還進從實樣裡裏開於種沒"


@functools.lru_cache(maxsize=1)
def _top_hanzi() -> frozenset[str]:
    """The ~100 most frequent characters in both scripts (charset-normalizer ships the list)."""
    try:
        from charset_normalizer.constant import FREQUENCIES
    except ImportError:  # an internal table; without it the common set alone still works
        return frozenset(_TRADITIONAL_TOP)
    return frozenset(FREQUENCIES.get("Chinese", ())) | frozenset(_TRADITIONAL_TOP)


def _is_common_other(ch: str) -> bool:
    """Common non-hanzi in Chinese pages: punctuation and pinyin glued to characters."""
    cp = ord(ch)
    # General punctuation (“”‘’—…), CJK symbols (、。《》「」), full-width forms (，！？：；).
    return (
        0x2010 <= cp <= 0x203B or 0x3000 <= cp <= 0x301F or 0xFF01 <= cp <= 0xFF5E or ch in _PINYIN
    )


def chinese_score(text: str) -> float:
    """How plausible ``text`` is as a Chinese decoding, from -1 (garbage) to 2.

    Only non-ASCII characters count: the top ~100 hanzi score 2, common hanzi and punctuation 1,
    rarer CJK characters 0.3, other characters 0, and private-use, replacement and control
    characters -1 (a wrong codec lands in user-defined areas and unmapped bytes).
    """
    common = _common_hanzi()
    top = _top_hanzi()
    total = 0.0
    n = 0
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            continue
        n += 1
        if ch in top:
            total += 2
        elif ch in common or _is_common_other(ch):
            total += 1
        elif 0x4E00 <= cp <= 0x9FFF:
            total += 0.3
        elif cp == 0xFFFD or 0xE000 <= cp <= 0xF8FF or cp <= 0x9F:
            total -= 1
    return total / n if n else 0.0
