from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import charcount
from classifier.features.charcount import CharCounter, _HashTable, _summed_rows
from classifier.text.tokens import char_ngrams

from .conftest import seed_text

# Word and non-word characters, case pairs (A/a, Σ with its final form), a character whose
# lowercase is two characters (İ), non-BMP (𠀀, 𠮷), a lone surrogate and U+0000.
CHARS = st.sampled_from([*"工会职工劳模ab1２Ⅻ_，。 \n-AΣσ", "İ", "\U00020000", "\U00020bb7",
                         "\ud800", "\x00"])
RANGES = st.sampled_from([(1, 1), (2, 2), (3, 3), (1, 2), (1, 3), (2, 3)])


def _reference(docs: list[str], vocab: list[str], lo: int, hi: int) -> list[dict[int, int]]:
    index = {g: i for i, g in enumerate(vocab)}
    out = []
    for doc in docs:
        row: dict[int, int] = {}
        for gram in char_ngrams(doc, lo, hi):
            if gram in index:
                row[index[gram]] = row.get(index[gram], 0) + 1
        out.append(row)
    return out


def _rows(counter: CharCounter, docs: list[str]) -> list[dict[int, int]]:
    mat = counter.counts(docs)
    # The rows are canonical (sorted columns, no repeats), like scipy's sum_duplicates.
    assert mat.shape == (len(docs), counter.width) and mat.data.dtype == np.float64
    out = []
    for i in range(len(docs)):
        lo, hi = mat.indptr[i], mat.indptr[i + 1]
        row = mat.indices[lo:hi]
        assert (np.diff(row) > 0).all()
        out.append(dict(zip(row.tolist(), mat.data[lo:hi].astype(int).tolist(), strict=True)))
    return out


def test_counts_equal_string_ngrams_on_the_seeds() -> None:
    docs = [seed_text(p) for p in ("000", "001", "002", "003", "004")]
    for lo, hi in ((1, 2), (1, 3), (2, 3)):
        vocab = sorted({g for d in docs[:3] for g in char_ngrams(d, lo, hi)})
        assert _rows(CharCounter(vocab, lo, hi), docs) == _reference(docs, vocab, lo, hi)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(CHARS, max_size=30), max_size=5),
       st.lists(st.text(CHARS, min_size=1, max_size=3), max_size=30), RANGES)
def test_counts_equal_string_ngrams_on_any_text(docs: list[str], grams: list[str],
                                                bounds: tuple[int, int]) -> None:
    lo, hi = bounds
    # Random grams (often with non-word characters or upper case, never counted) plus the
    # n-grams of the first document, so that there are hits.
    vocab = list(dict.fromkeys([*grams, *(g for d in docs[:1] for g in char_ngrams(d, lo, hi))]))
    assert _rows(CharCounter(vocab, lo, hi), docs) == _reference(docs, vocab, lo, hi)


def test_counts_in_pieces_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [seed_text(p)[:300] for p in ("000", "001", "002")] + ["", "工会"] * 3
    vocab = sorted({g for d in docs for g in char_ngrams(d, 1, 2)})
    whole = CharCounter(vocab, 1, 2).counts(docs)
    monkeypatch.setattr(charcount, "_PIECE", 50)  # several pieces, some of one document
    pieces = CharCounter(vocab, 1, 2).counts(docs)
    assert pieces.shape == whole.shape and np.array_equal(pieces.data, whole.data)
    assert (pieces.indptr == whole.indptr).all() and (pieces.indices == whole.indices).all()
    assert _rows(CharCounter(vocab, 1, 2), docs) == _reference(docs, vocab, 1, 2)


def test_non_word_and_out_of_range_grams_are_never_counted() -> None:
    vocab = ["工，", "，", "_", "a_", "工\n会", "\n", "工会职", "工", "会"]
    rows = _rows(CharCounter(vocab, 1, 2), ["工，会_a_\n工\n会工会职"])
    assert rows == [{7: 3, 8: 3}]


def test_case_and_non_bmp() -> None:
    counter = CharCounter(["ab", "a", "A", "𠮷", "𠮷野"], 1, 2)
    assert _rows(counter, ["AB Ab 𠮷野 𠮷"]) == [{0: 2, 1: 2, 3: 2, 4: 1}]


def test_vocabulary_without_bigrams() -> None:
    counter = CharCounter(["工", "会"], 1, 3)
    assert _rows(counter, ["工会工", "会"]) == [{0: 2, 1: 1}, {1: 1}]
    assert _rows(CharCounter(["工", "会"], 2, 3), ["工会工"]) == [{}]


def test_empty_inputs() -> None:
    counter = CharCounter(["工", "工会"], 1, 2)
    assert counter.counts([]).shape == (0, 2)
    assert counter.counts(["", "，"]).nnz == 0
    assert CharCounter([], 1, 3).counts(["工会"]).shape == (1, 0)


def test_rejects_unsupported_ranges() -> None:
    with pytest.raises(ValueError, match="outside"):
        CharCounter(["工"], 1, 4)


def test_hash_table_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(0)
    # Many keys, so that home slots collide and lookups must probe on.
    keys = np.unique(rng.integers(1, 2**62, 20_000, dtype=np.int64)).astype(np.uint64)
    present, absent = keys[::2], keys[1::2]
    table = _HashTable(present, np.arange(present.shape[0], dtype=np.int32))
    assert (table.lookup(present) == np.arange(present.shape[0])).all()
    assert (table.lookup(np.concatenate([absent, np.zeros(3, np.uint64)])) == -1).all()


@pytest.mark.parametrize("width", [1, 7, 2**20, 2**30 + 3])
def test_summed_rows_equal_scipy(width: int) -> None:
    # A wide matrix leaves few bits for rows: the keys are sorted in chunks of rows.
    rng = np.random.default_rng(width)
    sizes = rng.integers(0, 6, 40)
    sizes[-3:] = 0  # empty trailing rows
    cols = rng.choice(np.array([0, width // 3, width - 1], dtype=np.int32), sizes.sum())
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    got = _summed_rows(cols, indptr, width)
    want = sp.csr_matrix((np.ones(cols.shape[0]), (np.repeat(np.arange(40), sizes), cols)),
                         shape=(40, width))
    want.sum_duplicates()
    assert got.shape == want.shape and (got.to_scipy() != want).nnz == 0
    assert (got.indptr == want.indptr).all() and (got.indices == want.indices).all()
    assert (got.data == want.data).all()
