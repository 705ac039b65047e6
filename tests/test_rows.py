"""Rows (the numpy-only sparse rows of prediction) compute exactly what scipy.sparse computed.

Scores must stay byte-identical after scipy left the prediction path (issue 14), so every
operation is compared bit for bit (``np.array_equal``, not ``allclose``) with the scipy
expression it replaced.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import rows
from classifier.features.rows import Rows, hstack, vstack
from classifier.features.space import tfidf_block
from classifier.model.store import load_model

from .conftest import seed_text


def _random_csr(seed: int, rows: int, cols: int, density: float) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    mat = sp.random(rows, cols, density=density, format="csr", random_state=rng,
                    data_rvs=lambda n: rng.integers(1, 9, n).astype(np.float64))
    mat.sum_duplicates()
    return mat


def _same(got: Rows, mat: sp.csr_matrix) -> bool:
    return (got.shape == mat.shape and np.array_equal(got.indptr, mat.indptr)
            and np.array_equal(got.indices, mat.indices) and np.array_equal(got.data, mat.data))


matrices = st.tuples(st.integers(0, 10_000), st.integers(0, 12), st.integers(1, 60),
                     st.floats(0.0, 0.6))


@settings(max_examples=60, deadline=None)
@given(matrices, matrices)
def test_stacking_and_splitting_equal_scipy(a: tuple, b: tuple) -> None:
    left = _random_csr(a[0], a[1], a[2], a[3])
    right = _random_csr(b[0], a[1], b[2], b[3])  # same number of rows
    joined = hstack([Rows.of(left), Rows.of(right)])
    assert _same(joined, sp.hstack([left, right], format="csr"))
    back_left, back_right = joined.split_columns(left.shape[1])
    assert _same(back_left, left) and _same(back_right, right)
    below = _random_csr(b[0], b[1], a[2], b[3])  # same number of columns
    assert _same(vstack([Rows.of(left), Rows.of(below)]), sp.vstack([left, below], format="csr"))


@settings(max_examples=60, deadline=None)
@given(matrices, st.integers(1, 14))
def test_tfidf_and_dot_are_bit_identical_to_scipy(m: tuple, k: int) -> None:
    counts = _random_csr(m[0], m[1], m[2], m[3])
    rng = np.random.default_rng(m[0])
    idf = rng.uniform(1.0, 9.0, counts.shape[1])
    # The scipy expressions the prediction path used before (features.space, theme_model).
    ref = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log(ref.data, out=ref.data)
    ref.data += 1.0
    ref.data *= idf[ref.indices]
    norms = np.sqrt(np.asarray(ref.multiply(ref).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    ref.data /= np.repeat(norms, np.diff(ref.indptr))
    ours = tfidf_block(Rows.of(counts), idf)
    assert _same(ours, ref)
    coef_t = rng.normal(size=(counts.shape[1], k)).astype(np.float32)
    want = np.asarray(ref @ coef_t, dtype=np.float64)
    assert np.array_equal(ours.dot(coef_t), want)  # scipy's kernel (it is loaded here)
    # numpy's bincount, what a fresh process without scipy uses: the same bits.
    assert np.array_equal(rows._bincount_product(ours, coef_t), want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=40), max_size=8))
def test_from_entries_sorts_and_sums_like_sum_duplicates(entries: list[list[int]]) -> None:
    indices = np.asarray([c for r in entries for c in r], dtype=np.int32)
    indptr = np.cumsum([0, *map(len, entries)])
    data = np.arange(1, indices.shape[0] + 1, dtype=np.float64)
    ref = sp.csr_matrix((data.copy(), indices.copy(), indptr.copy()), shape=(len(entries), 31))
    ref.sum_duplicates()
    assert _same(Rows.from_entries(data, indices, indptr, 31), ref)


def test_model_scores_equal_the_scipy_product() -> None:
    """On real pages: the margins from Rows equal scipy's product with the coefficients."""
    default_model = load_model("default")
    items = [(f"第{i}页", seed_text(p)) for i, p in enumerate(("000", "001", "002", "003"))]
    _, x = default_model.predict_proba_many(items)
    coef_t = np.ascontiguousarray(default_model.coef.T)
    assert x.nnz > 1000
    want = np.asarray(x.to_scipy() @ coef_t, dtype=np.float64)
    assert np.array_equal(rows._bincount_product(x, coef_t), want)
    # What a warm process does (scipy is loaded here): the kernel on only the coefficient
    # rows the pages touch, converted to float64; the same bits as converting all of them.
    assert x.nnz * 8 < coef_t.shape[0] and coef_t.dtype == np.float32
    assert np.array_equal(x.dot(coef_t), want)
