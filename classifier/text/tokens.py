"""Tokens: jieba-compatible word segmentation (rjieba + a user dictionary) and char n-grams.

Segmentation uses ``rjieba`` (jieba's algorithm and dictionary in Rust, ~30x faster than
jieba's pure-Python cutter here, issue 3) loaded lazily, once, with the package's user
dictionary. ``tests/test_tokens.py`` checks token parity with ``jieba`` given the same user
dictionary. Every function expects text that already went through ``normalize_text``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from itertools import chain, filterfalse
from typing import Any

__all__ = [
    "char_ngrams",
    "cut",
    "iter_words",
    "load_jieba_reference",
    "user_dictionary",
    "words",
]

# Char n-grams never cross punctuation or whitespace: runs of word characters only.
_RUN = re.compile(r"[^\W_]+")

_lock = threading.Lock()
_segmenter: Any = None


@lru_cache(maxsize=1)
def user_dictionary() -> tuple[tuple[str, int, str], ...]:
    """The packaged user dictionary as (word, frequency, tag) triples (jieba's file format)."""
    text = resources.files("classifier").joinpath("data/userdict.txt").read_text("utf-8")
    entries = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 else 3000
        tag = parts[2] if len(parts) > 2 else "n"
        entries.append((parts[0], freq, tag))
    return tuple(entries)


def _rjieba() -> Any:
    """The shared rjieba segmenter with the user dictionary (built on first use).

    This is rjieba's module-level segmenter (``rjieba.cut``/``rjieba.add_word``): importing
    rjieba already builds it (~0.17 s), and a second ``rjieba.Jieba()`` cost as much again
    on every start (issue 14). Nothing else in the process uses rjieba.
    """
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import rjieba  # lazy: importing builds the dictionary

                for word, freq, tag in user_dictionary():
                    rjieba.add_word(word, freq, tag)
                _segmenter = rjieba
    return _segmenter


def cut(text: str) -> list[str]:
    """Raw jieba-style segmentation (HMM on), punctuation and spaces included."""
    return list(_rjieba().cut(text, True))


def words(text: str) -> list[str]:
    """Word tokens of a normalized text, lowercased; punctuation and whitespace removed.

    A segment mixing word and other characters (rjieba keeps ``2022-05-25`` whole where jieba
    splits it) is split into its runs of word characters, which makes the two engines agree.
    jieba never joins words across a line break, so the whole text is cut at once.
    """
    return list(iter_words(text))


def iter_words(text: str) -> Iterator[str]:
    """``words`` as an iterator (counting them needs no list)."""
    tokens = _rjieba().cut(text, True)
    if text.lower() != text:  # one C-level pass instead of a call per token
        tokens = "\n".join(tokens).lower().split("\n")
    # Judge each distinct token once; the per-token work stays in C (``filterfalse`` and
    # ``map`` iterate there: a generator here cost 5% of labelling, issue 14). ``isalnum`` is
    # the ``[^\\W_]`` of ``_RUN``: most tokens are one run, punctuation is none.
    distinct = set(tokens)
    odd = list(filterfalse(str.isalnum, distinct))
    if not any(map(_RUN.search, odd)):
        return filter(str.isalnum, tokens)
    # Every token is its own run (``zip(distinct)`` makes the 1-tuples in C) but the odd ones.
    runs = dict(zip(distinct, zip(distinct), strict=True))
    for token in odd:
        runs[token] = tuple(_RUN.findall(token))
    return chain.from_iterable(map(runs.__getitem__, tokens))


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams (lo <= n <= hi) inside runs of word characters, lowercased."""
    grams: list[str] = []
    for run in _RUN.findall(text.lower()):
        size = len(run)
        for n in range(lo, hi + 1):
            if n == 1:
                grams.extend(run)
            else:
                grams.extend(run[i : i + n] for i in range(size - n + 1))
    return grams


def load_jieba_reference() -> Any:
    """A pure-Python ``jieba.Tokenizer`` with the same user dictionary (tests/benchmarks only)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for word, freq, tag in user_dictionary():
        tok.add_word(word, freq, tag)
    return tok
