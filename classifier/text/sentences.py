"""Lossless sentence splitting for Chinese news text.

A sentence ends at 。！？；… (also ``……``, ``⋯``), at ASCII ``! ? ;`` and at a line end.
Closing quotes and brackets that follow the end mark stay with their sentence, so
``他说：“今天下雨。”明天晴`` gives ``["他说：“今天下雨。”", "明天晴"]``; runs such as
``？！`` or ``。”）`` are kept together. An end mark just before ``》`` is part of a title
(``《中国，一定行！》``) and ends nothing.

Lossless: each sentence is a slice of the input with surrounding whitespace stripped, and
empty pieces are dropped, so concatenating the sentences gives back the text apart from
whitespace at sentence boundaries (issue 2, "Sentences").

ASCII ``! ? ;`` end a sentence only when the next character is not an ASCII letter, digit or
URL character: ``a.com/x?id=1`` and ``&amp;`` must not be split, while ``好!明天`` is. The ASCII
full stop ``.`` is not an end mark (decimals, abbreviations, URLs); normalized text uses ``。``
in CJK context anyway.
"""

from __future__ import annotations

import re

__all__ = ["CLAUSE_MARKS", "split_sentences"]

# Full-width (and the ellipsis) end marks: always a boundary.
_CJK_ENDS = frozenset("。！？；…⋯｡")
# ASCII end marks: a boundary unless glued to ASCII word/URL characters (see module doc).
_ASCII_ENDS = frozenset("!?;")
_ENDS = _CJK_ENDS | _ASCII_ENDS
_GLUE = frozenset("/=&#%_-.:+~@")
# Closing quotes and brackets that belong to the sentence they follow.
_CLOSERS = frozenset("”’」』）)]】〕〗｝}\"'»›")
# An end mark right before a title bracket belongs to the title: 《中国，一定行！》把…
_TITLE_CLOSE = frozenset("》〉")
# Characters that str.splitlines() treats as line ends.
_LINE_ENDS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

_STOP = re.compile("[" + re.escape("".join(sorted(_LINE_ENDS | _ENDS))) + "]")

#: Clause boundaries inside a sentence, used when a summary must cut one sentence short.
CLAUSE_MARKS = frozenset("，；：,;:、")


def _run_ends(text: str, i: int, k: int) -> bool:
    """Whether the run of end marks ``text[i:k]`` ends a sentence (see the module doc)."""
    if k < len(text) and text[k] in _TITLE_CLOSE:
        return False
    if any(c in _CJK_ENDS for c in text[i:k]) or k >= len(text):
        return True
    nxt = text[k]
    return not ((nxt.isascii() and nxt.isalnum()) or nxt in _GLUE)


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping every non-space character.

    Returns the stripped, non-empty sentences in order. Linear time; never raises on any
    ``str``.
    """
    out: list[str] = []
    n = len(text)
    start = i = 0
    # Jump from one line end or end mark to the next: most characters are neither, and a
    # regex search skips them in C instead of one loop turn per character.
    while (found := _STOP.search(text, i)) is not None:
        i = found.start()
        if text[i] in _LINE_ENDS:
            _emit(out, text[start:i])
            i += 1
            start = i
            continue
        k = i
        while k < n and text[k] in _ENDS:
            k += 1
        if _run_ends(text, i, k):
            # Absorb closing quotes/brackets and further marks: "。”", "！”）", "。”。"
            while k < n and (text[k] in _CLOSERS or text[k] in _ENDS):
                k += 1
            _emit(out, text[start:k])
            start = k
        i = k
    _emit(out, text[start:])
    return out


def _emit(out: list[str], piece: str) -> None:
    piece = piece.strip()
    if piece:
        out.append(piece)
