"""Vectorized character n-gram counting over a fixed vocabulary (prediction time).

``tokens.char_ngrams`` builds every n-gram as a Python string, and looking each one up in a
dict was the largest cost of labelling (issue 5 profile: ~40% of ``analyze``). Here a batch
of lowercased documents becomes one array of code points, joined by newlines. An n-gram at
position i is the integer key ``cp[i] << 21*(n-1) | … | cp[i+n-1]`` (code points fit in 21
bits, so n <= 3 fits in 64 bits). Single characters are looked up in a table indexed by code
point; longer n-grams in an open-addressing hash table (multiplicative hashing, linear
probing), probed for all positions at once, which is several times cheaper than a binary
search. The tables hold only n-grams made of word characters (``str.isalnum`` of every
character, the ``[^\\W_]`` of ``char_ngrams``), so a key that spans a non-word character or a
document boundary (the newline) is never found: no per-position word test is needed.

The hits come out grouped by document. Each becomes an int32 key ``row << bits | column``;
one array sort orders the columns within every row and makes repeats adjacent runs, whose
lengths are the counts (cheaper than scipy's per-row sort in ``sum_duplicates``). Large
batches are counted in pieces of ~2 M characters and stacked. The counts equal
``char_ngrams`` + a dict lookup exactly (tests/test_charcount.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from classifier.features.rows import Rows, vstack

__all__ = ["MAX_N", "CharCounter", "PackedStrings"]

_BITS = 21  # every code point is < 0x110000 <= 2**21
MAX_N = 3  # 3 * 21 bits fit in a uint64 key
# 2**64 / golden ratio (odd): the high bits of key * _MULT mix all bits of the key, so the
# keys of one script (close code points) still spread over the whole table.
_MULT = np.uint64(0x9E3779B97F4A7C15)
_PIECE = 1 << 21  # characters counted in one pass (see CharCounter.counts)
_EMPTY = 0  # no n-gram key is 0: word characters are never U+0000


def _keys(cps: np.ndarray, n: int) -> np.ndarray:
    """Keys of the n-grams starting at positions 0 .. len(cps) - n (uint64)."""
    m = cps.shape[0] - n + 1
    key = cps[:m].astype(np.uint64)
    for k in range(1, n):
        key <<= np.uint64(_BITS)  # in place: no temporary per step
        key |= cps[k : k + m]
    return key


class _HashTable:
    """Open addressing from uint64 key to column (-1: absent), probed for many keys at once."""

    def __init__(self, keys: np.ndarray, cols: np.ndarray) -> None:
        """``keys``: distinct nonzero uint64 keys; ``cols``: their columns."""
        bits = max(4, (4 * keys.shape[0] - 1).bit_length())  # load <= 1/4: short probes
        self._shift = np.uint64(64 - bits)
        # Linear probing without wrap-around, laid out in one pass: inserted in order of home
        # slot, key i lands on max(home_i, slot_{i-1} + 1), i.e. i + the running maximum of
        # home_j - j. Every key thus sits after an unbroken run of taken slots from its home,
        # which is all that lookup needs (a probing loop took ~30 ms of every start).
        home = self._home(keys)
        order = np.argsort(home)  # keys of one home may sit in any order among themselves
        rank = np.arange(keys.shape[0])
        slot = np.maximum.accumulate(home[order] - rank) + rank if keys.shape[0] else rank
        # Every home slot and one empty slot after the last key and the last home: it ends
        # every probe without bounds checks.
        end = max(1 << bits, int(slot[-1]) + 1 if keys.shape[0] else 0) + 1
        self._slots = np.full(end, _EMPTY, dtype=np.uint64)
        self._values = np.full(end, -1, dtype=np.int32)
        self._slots[slot] = keys[order]
        self._values[slot] = cols[order]

    def _home(self, keys: np.ndarray) -> np.ndarray:
        # uint64 multiplication wraps (wanted); numpy indexes with int64 without the
        # conversion copy that uint64 indices cost (the slots are < 2**63).
        home = keys * _MULT
        home >>= self._shift
        return home.view(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Column of every key (int32, -1 when absent)."""
        slot = self._home(keys)
        found = self._slots[slot]
        cols = self._values[slot]  # right wherever the slot holds the key or is empty
        pending = np.flatnonzero((found != keys) & (found != _EMPTY))
        keys, slot = keys[pending], slot[pending]
        # Only the few keys that met another key probe on; the sets shrink every round.
        while pending.shape[0]:
            slot += 1
            found = self._slots[slot]
            done = (found == keys) | (found == _EMPTY)
            cols[pending[done]] = self._values[slot[done]]
            left = ~done
            pending, keys, slot = pending[left], keys[left], slot[left]
        return cols


class PackedStrings:
    """Strings end to end as code points (uint32) with their lengths: a vocabulary as a
    model file stores it (format 2), read without making a Python string per entry.

    Splitting 128,000 char n-grams into strings cost ~20 ms of every one-page ``classify``
    (issue 14); ``CharCounter`` reads the code points as they are, and an entry becomes a
    string only when asked for (``item``: explanations name a few terms; ``strings``: all of
    them, for training or saving). ``distinct`` says the entries were checked distinct.
    """

    def __init__(self, codepoints: np.ndarray, lengths: np.ndarray, *,
                 distinct: bool = False) -> None:
        self.codepoints = np.asarray(codepoints, dtype=np.uint32)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.zeros(self.lengths.shape[0] + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=self.starts[1:])
        if self.lengths.ndim != 1 or self.codepoints.ndim != 1 \
                or int(self.starts[-1]) != self.codepoints.shape[0] \
                or (self.lengths.shape[0] and int(self.lengths.min()) < 0):
            raise ValueError(f"{self.lengths.shape[0]} lengths summing to {int(self.starts[-1])}"
                             f" for {self.codepoints.shape[0]} code points")
        self.distinct = distinct
        self._strings: list[str] | None = None

    @classmethod
    def of(cls, strings: Sequence[str] | PackedStrings) -> PackedStrings:
        """The packed form of strings (``strings`` itself when packed already)."""
        if isinstance(strings, PackedStrings):
            return strings
        lengths = np.fromiter(map(len, strings), np.int64, len(strings))
        # surrogatepass: any Python string, lone surrogates included, survives the trip.
        cps = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), np.uint32)
        packed = cls(cps, lengths)
        packed._strings = list(strings)
        return packed

    def __len__(self) -> int:
        return self.lengths.shape[0]

    def item(self, i: int) -> str:
        """Entry ``i`` as a string."""
        if self._strings is not None:
            return self._strings[i]
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        return self.codepoints[lo:hi].tobytes().decode("utf-32-le", "surrogatepass")

    def strings(self) -> list[str]:
        """Every entry as a string, in order (made once, then kept)."""
        if self._strings is None:
            self._strings = _decoded(self.codepoints, self.lengths)
        return self._strings

    def items(self, indices: np.ndarray) -> list[str]:
        """Entries ``indices`` as strings, decoded together (one decode instead of one per
        entry: explanations ask for a page's ~2,000 n-grams at once)."""
        idx = np.asarray(indices, dtype=np.int64)
        if self._strings is not None:
            return [self._strings[i] for i in idx.tolist()]
        lengths = self.lengths[idx]
        # Position of every code point of the chosen entries, entry after entry.
        before = np.cumsum(lengths) - lengths
        at = np.repeat(self.starts[idx] - before, lengths) + np.arange(int(lengths.sum()))
        return _decoded(self.codepoints[at], lengths)


def _decoded(cps: np.ndarray, lengths: np.ndarray) -> list[str]:
    """The strings of ``lengths`` code points each, end to end in ``cps``."""
    n = lengths.shape[0]
    if (cps == 10).any():  # an entry with a line break: cut one by one
        whole = cps.tobytes().decode("utf-32-le", "surrogatepass")
        bounds = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        return [whole[a:b] for a, b in pairwise(bounds.tolist())]
    # A line break after every entry, then one split: 3x faster than slicing.
    lines = np.full(cps.shape[0] + n, 10, dtype=np.uint32)
    lines[np.arange(cps.shape[0]) + np.repeat(np.arange(n), lengths)] = cps
    out = lines.tobytes().decode("utf-32-le", "surrogatepass").split("\n")
    out.pop()
    return out


class CharCounter:
    """Counts of the vocabulary's character n-grams (lo..hi <= 3) in documents."""

    def __init__(self, vocab: Sequence[str] | PackedStrings, lo: int, hi: int) -> None:
        if not 1 <= lo <= hi <= MAX_N:
            raise ValueError(f"char n-gram range {lo}..{hi} is outside 1..{MAX_N}")
        self.lo, self.hi, self.width = lo, hi, len(vocab)
        # The vocabulary end to end as code points, judged in array operations: a loop over
        # 95,000 n-grams cost ~0.1 s of every start (issue 14). N-grams with a non-word
        # character can never be counted, so they stay out of the tables.
        packed = PackedStrings.of(vocab)
        lengths, cps, starts = packed.lengths, packed.codepoints, packed.starts
        known_distinct = packed.distinct
        # str.isalnum of a string is true when every character is (and there is one): judge
        # each distinct code point once, found with a count table (cheaper than a sort).
        distinct = np.flatnonzero(np.bincount(cps, minlength=1))
        alnum = np.zeros(int(distinct.max(initial=0)) + 1, dtype=bool)
        alnum[distinct] = np.fromiter(map(str.isalnum, map(chr, distinct.tolist())), bool,
                                      distinct.shape[0])
        bad = np.zeros(cps.shape[0] + 1, dtype=np.int64)
        np.cumsum(~alnum[cps], out=bad[1:])
        usable = (lengths >= lo) & (lengths <= hi) & (bad[starts[1:]] == bad[starts[:-1]])
        # Single characters: a direct table from code point to column is cheaper than
        # hashing; its last entry (-1) stands for every larger code point.
        singles, single_cols = self._grams(cps, starts, lengths, usable, 1, known_distinct)
        self._single = np.full(int(singles.max(initial=0)) + 2, -1, dtype=np.int32)
        self._single[singles] = single_cols
        self._tables: dict[int, _HashTable] = {}
        for n in range(max(lo, 2), hi + 1):
            keys, cols = self._grams(cps, starts, lengths, usable, n, known_distinct)
            if cols.shape[0]:
                self._tables[n] = _HashTable(keys, cols)

    @staticmethod
    def _grams(cps: np.ndarray, starts: np.ndarray, lengths: np.ndarray, usable: np.ndarray,
               n: int, distinct_vocab: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keys (code points for n = 1) of the usable n-grams of length n and their columns.

        Like a dict lookup, a repeated n-gram maps to its last column. A vocabulary known to
        be distinct (``distinct_vocab``) has no repeats to look for: the sort is skipped.
        """
        cols = np.flatnonzero(usable & (lengths == n)).astype(np.int32)
        at = (starts[cols][:, None] + np.arange(n)).ravel()
        keys = cps[at].astype(np.uint64) if n == 1 else _keys(cps[at], n)[::n]
        if distinct_vocab:  # distinct strings of one length have distinct keys
            return keys, cols
        distinct, last = np.unique(keys[::-1], return_index=True)
        if distinct.shape[0] < keys.shape[0]:
            keys, cols = distinct, cols[::-1][last]
        return keys, cols

    def counts(self, docs: Sequence[str]) -> Rows:
        """Raw counts, shape (len(docs), len(vocab)); n-grams never cross non-word chars."""
        lowered = [d.lower() for d in docs]  # per document: lower() may change lengths
        # Pieces of about _PIECE characters: the temporaries (~40 bytes a character) then
        # stay small: a 17,000-document batch ran 2.5x faster than in one pass.
        pieces: list[Rows] = []
        first = size = 0
        for i, doc in enumerate(lowered):
            size += len(doc) + 1
            if size >= _PIECE or i == len(lowered) - 1:
                pieces.append(self._counts(lowered[first : i + 1]))
                first, size = i + 1, 0
        if len(pieces) <= 1:
            return pieces[0] if pieces else self._counts([])
        return vstack(pieces)

    def _counts(self, lowered: list[str]) -> Rows:
        raw = "\n".join(lowered).encode("utf-32-le", "surrogatepass")
        cps = np.frombuffer(raw, dtype=np.uint32)
        # starts[d]: first position of document d (the last entry is past the end).
        starts = np.zeros(len(lowered) + 1, dtype=np.int64)
        np.cumsum(np.fromiter((len(d) + 1 for d in lowered), np.int64, len(lowered)),
                  out=starts[1:])
        # One column per n-gram size, so the hits of a position stay together and the
        # hits of a document form one block of the flattened array.
        sizes = self.hi - self.lo + 1
        hit_cols = np.full((cps.shape[0], sizes), -1, dtype=np.int32)
        if self.lo == 1:
            last = self._single.shape[0] - 1
            hit_cols[:, 0] = self._single[np.minimum(cps, last)]
        for n, table in self._tables.items():
            if cps.shape[0] >= n:
                hit_cols[: cps.shape[0] - n + 1, n - self.lo] = table.lookup(_keys(cps, n))
        flat = hit_cols.ravel()
        hits = np.flatnonzero(flat >= 0)
        return _summed_rows(flat[hits], np.searchsorted(hits, starts * sizes), self.width)


def _summed_rows(cols: np.ndarray, indptr: np.ndarray, width: int) -> Rows:
    """Counts from column hits grouped by row (``indptr``), in any order within a row.

    scipy's own path (COO -> CSR, then sum_duplicates) sorts every row with a comparison
    sort of (index, value) pairs. Here each hit becomes one int32 key ``row << bits | col``
    and a plain array sort (SIMD in numpy; int32 sorts about twice as fast as int64) orders
    the keys; equal keys are then runs whose lengths are the counts. The rows are already
    grouped, so sorting them in chunks whose local row numbers fit keeps the keys int32
    for any number of rows.
    """
    rows, nnz = indptr.shape[0] - 1, cols.shape[0]
    bits = max(0, width - 1).bit_length()
    chunk = 1 << (31 - bits)  # rows per chunk: local row << bits stays below 2**31
    key = np.repeat(np.arange(rows, dtype=np.int32) & np.int32(chunk - 1), np.diff(indptr))
    key <<= np.int32(bits)
    key |= cols
    for first_row in range(0, rows, chunk):
        key[indptr[first_row] : indptr[min(first_row + chunk, rows)]].sort()
    # A run starts where the key changes or a row starts (a new chunk reuses local rows);
    # the extra last slot takes the row starts of empty trailing rows.
    run_start = np.empty(nnz + 1, dtype=bool)
    run_start[:1] = True
    np.not_equal(key[1:], key[:-1], out=run_start[1:nnz])
    run_start[indptr[:-1]] = True
    runs = np.flatnonzero(run_start[:nnz])
    counts = np.diff(runs, append=nnz).astype(np.float64)
    return Rows(counts, key[runs] & np.int32((1 << bits) - 1), np.searchsorted(runs, indptr),
                (rows, width))
