"""Vectorized character n-gram counting over a fixed vocabulary (prediction time).

``tokens.char_ngrams`` builds every n-gram as a Python string, and looking each one up in a
dict was the largest cost of labelling (issue 5 profile: ~40% of ``analyze``). Here a batch
of documents becomes one array of code points; an n-gram is the integer
``cp[i] * B**(n-1) + … + cp[i+n-1]`` (B = 0x110000, so n <= 3 fits in int64), valid when all
its characters are word characters (``str.isalnum``, the ``[^\\W_]`` of ``char_ngrams``), and
is found in the vocabulary by binary search. The counts equal ``char_ngrams`` + a dict lookup
exactly (tests/test_charcount.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_N", "CharCounter"]

BASE = 0x110000
MAX_N = 3  # BASE**3 < 2**63


@lru_cache(maxsize=1)
def _bmp_word_table() -> np.ndarray:
    """``chr(i).isalnum()`` for every BMP code point (the rest is looked up one by one)."""
    return np.fromiter((chr(i).isalnum() for i in range(0x10000)), dtype=bool, count=0x10000)


def _is_word(cps: np.ndarray) -> np.ndarray:
    table = _bmp_word_table()
    word = np.zeros(cps.shape[0], dtype=bool)
    bmp = cps < 0x10000
    word[bmp] = table[cps[bmp]]
    for i in np.flatnonzero(~bmp):
        word[i] = chr(int(cps[i])).isalnum()
    return word


def _key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = key * BASE + ord(ch)
    return key


class CharCounter:
    """Counts of the vocabulary's character n-grams (lo..hi <= 3) in documents."""

    def __init__(self, vocab: Sequence[str], lo: int, hi: int) -> None:
        if not 1 <= lo <= hi <= MAX_N:
            raise ValueError(f"char n-gram range {lo}..{hi} is outside 1..{MAX_N}")
        self.lo, self.hi, self.width = lo, hi, len(vocab)
        self._keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Single characters: a direct table from code point to column (-1: not in the
        # vocabulary) is several times faster than a binary search.
        singles = [(ord(g), col) for col, g in enumerate(vocab) if len(g) == 1]
        self._single = np.full(max((cp for cp, _ in singles), default=0) + 1, -1, np.int64)
        for cp, col in singles:
            self._single[cp] = col
        for n in range(max(lo, 2), hi + 1):
            pairs = sorted((_key(g), col) for col, g in enumerate(vocab) if len(g) == n)
            keys = np.asarray([k for k, _ in pairs], dtype=np.int64)
            cols = np.asarray([c for _, c in pairs], dtype=np.int64)
            self._keys[n] = (keys, cols)

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Raw counts, shape (len(docs), len(vocab)); n-grams never cross non-word chars."""
        lowered = [d.lower() for d in docs]
        # A newline between documents is a non-word character, so no n-gram crosses it.
        joined = "\n".join(lowered)
        raw = joined.encode("utf-32-le", "surrogatepass")
        cps = np.frombuffer(raw, dtype=np.uint32).astype(np.int64)
        lengths = np.fromiter((len(d) + 1 for d in lowered), dtype=np.int64, count=len(docs))
        row_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)[: cps.shape[0]]
        word = _is_word(cps)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        if self.lo == 1:
            inside = word & (cps < self._single.shape[0])
            col = np.full(cps.shape[0], -1, np.int64)
            col[inside] = self._single[cps[inside]]
            found = col >= 0
            rows.append(row_of[found])
            cols.append(col[found])
        for n, (keys, vocab_cols) in self._keys.items():
            if cps.shape[0] < n or keys.shape[0] == 0:
                continue
            m = cps.shape[0] - n + 1
            valid = word[:m].copy()
            key = cps[:m].copy()
            for k in range(1, n):
                valid &= word[k : k + m]
                key = key * BASE + cps[k : k + m]
            key = key[valid]
            pos = np.searchsorted(keys, key)
            pos[pos == keys.shape[0]] = 0
            hit = keys[pos] == key
            rows.append(row_of[:m][valid][hit])
            cols.append(vocab_cols[pos[hit]])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        mat = sp.csr_matrix((np.ones(r.shape[0], dtype=np.float64), (r, c)),
                            shape=(len(docs), self.width))
        mat.sum_duplicates()
        return mat
