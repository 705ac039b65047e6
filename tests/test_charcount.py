from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.charcount import CharCounter
from classifier.tokens import char_ngrams

from .conftest import seed_text

CHARS = st.sampled_from([*"工会职工劳模ab1２Ⅻ_，。 \n-", "İ", "\U00020000", "\ud800"])


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
    return [dict(zip(mat[i].indices.tolist(), mat[i].data.astype(int).tolist(), strict=True))
            for i in range(len(docs))]


def test_counts_equal_string_ngrams_on_the_seeds() -> None:
    docs = [seed_text(p) for p in ("000", "001", "002", "003", "004")]
    for lo, hi in ((1, 2), (1, 3), (2, 3)):
        vocab = sorted({g for d in docs[:3] for g in char_ngrams(d, lo, hi)})
        assert _rows(CharCounter(vocab, lo, hi), docs) == _reference(docs, vocab, lo, hi)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(CHARS, max_size=30), min_size=1, max_size=4),
       st.lists(st.text(CHARS, min_size=1, max_size=3), max_size=30))
def test_counts_equal_string_ngrams_on_any_text(docs: list[str], grams: list[str]) -> None:
    vocab = list(dict.fromkeys([*grams, *(g for d in docs[:1] for g in char_ngrams(d, 1, 3))]))
    assert _rows(CharCounter(vocab, 1, 3), docs) == _reference(docs, vocab, 1, 3)


def test_empty_inputs() -> None:
    counter = CharCounter(["工", "工会"], 1, 2)
    assert counter.counts([]).shape == (0, 2)
    assert counter.counts(["", "，"]).nnz == 0
