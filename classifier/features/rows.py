"""Rows: the sparse feature rows of the prediction path, in CSR layout, on numpy alone.

Prediction used to build ``scipy.sparse`` matrices, and importing ``scipy.sparse`` cost about
0.3 s of every one-page ``classify`` (twice the import of numpy; issue 14), for a handful of
operations: stacking blocks side by side, a TF-IDF weighting and one product with the dense
coefficient matrix. ``Rows`` holds the same three arrays as a CSR matrix (``data``,
``indices``, ``indptr``) and does exactly those operations. Each one sums in the order
scipy sums (``dot`` like ``csr_matvecs``, ``squared_norms`` like ``csr_matrix.sum(axis=1)``),
so the scores are bit for bit those of the scipy path (``tests/test_rows.py``). Training and
the review strategies, which hand matrices to scikit-learn, convert with ``to_scipy``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Rows", "hstack", "load_batch_kernel", "vstack"]

# Products over this many multiply-adds go to scipy's kernel (see ``Rows.dot``); a one-page
# ``classify`` stays below it (~10,000 entries x 13 themes).
_SCIPY_PRODUCT = 2_000_000


class Rows:
    """Sparse rows in CSR layout: row ``i`` holds ``data[indptr[i]:indptr[i + 1]]`` at
    columns ``indices[...]`` (sorted within the row, no repeats)."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 shape: tuple[int, int]) -> None:
        self.data = np.asarray(data, dtype=np.float64)
        self.indices = np.asarray(indices, dtype=np.int32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = (int(shape[0]), int(shape[1]))

    @classmethod
    def of(cls, matrix: Any) -> Rows:
        """``matrix`` as Rows: Rows pass through; a scipy sparse matrix is made canonical
        CSR (sorted, summed duplicates) first."""
        if isinstance(matrix, Rows):
            return matrix
        csr = matrix.tocsr()
        if not csr.has_canonical_format:
            csr = csr.copy()
            csr.sum_duplicates()
        return cls(csr.data, csr.indices, csr.indptr, csr.shape)

    @classmethod
    def from_entries(cls, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                     n_cols: int) -> Rows:
        """Rows from entries grouped by row in any order within a row, repeats summed."""
        n_rows = indptr.shape[0] - 1
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))
        order = np.argsort(rows * max(n_cols, 1) + indices, kind="stable")
        rows, cols, vals = rows[order], np.asarray(indices)[order], np.asarray(data)[order]
        # A run of one (row, column) is one entry; its values add up in input order.
        first = np.ones(rows.shape[0], dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        starts = np.flatnonzero(first)
        summed = (np.add.reduceat(vals.astype(np.float64), starts) if starts.shape[0]
                  else np.zeros(0))
        out_ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[starts], minlength=n_rows), out=out_ptr[1:])
        return cls(summed, cols[starts], out_ptr, (n_rows, n_cols))

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.data.shape[0])

    def entry_rows(self) -> np.ndarray:
        """The row of every entry."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def with_data(self, data: np.ndarray) -> Rows:
        """The same sparsity pattern holding ``data``."""
        return Rows(data, self.indices, self.indptr, self.shape)

    def squared_norms(self) -> np.ndarray:
        """Sum of squares of every row, summed as ``csr_matrix.sum(axis=1)`` sums."""
        out = np.zeros(self.shape[0])
        nonempty = np.flatnonzero(np.diff(self.indptr))
        if nonempty.shape[0]:
            out[nonempty] = np.add.reduceat(self.data * self.data, self.indptr[nonempty])
        return out

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """``self @ dense`` as float64 (n_rows, k), each sum in entry order from zero.

        Large products (a labelling batch), and any product once scipy is loaded (labelling
        and the service's analysis processes load it at warm-up), use scipy's compiled
        ``csr_matvecs``; small ones in a fresh process (a one-page ``classify``) use
        ``np.bincount``, which adds its weights one after another from zero exactly as that
        kernel does, without importing scipy. Both give the same bits (``tests/test_rows.py``).
        """
        if self.nnz * dense.shape[1] > _SCIPY_PRODUCT or "scipy.sparse" in sys.modules:
            return _scipy_product(self, dense)
        return _bincount_product(self, dense)

    def split_columns(self, at: int) -> tuple[Rows, Rows]:
        """(columns < ``at``, columns >= ``at`` renumbered from 0): ``hstack`` undone."""
        left = self.indices < at
        rows = self.entry_rows()
        ptr_left = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[left], minlength=self.shape[0]), out=ptr_left[1:])
        right = ~left
        return (Rows(self.data[left], self.indices[left], ptr_left, (self.shape[0], at)),
                Rows(self.data[right], self.indices[right] - np.int32(at),
                     self.indptr - ptr_left, (self.shape[0], self.shape[1] - at)))

    def to_scipy(self) -> Any:
        """A ``scipy.sparse.csr_matrix`` of the same rows (imports scipy)."""
        import scipy.sparse as sp

        mat = sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
        mat.has_canonical_format = True
        return mat


def _scipy_product(rows: Rows, dense: np.ndarray) -> np.ndarray:
    """``rows @ dense`` by scipy's ``csr_matvecs`` (see ``Rows.dot``).

    scipy first converts all of ``dense`` to the result's type: for the float32 coefficients
    of the default model (163,014 x 13) an 8.5 MB copy per call, a quarter of the analysis of
    one page in the service (issue 14). When the rows touch fewer columns than ``dense`` has
    rows, only those rows are taken and converted: the kernel then adds the same float64
    products in the same order, so the result has the same bits.
    """
    if dense.dtype != np.float64 and rows.nnz * 8 < dense.shape[0]:
        # Sorted and deduplicated by hand: np.unique hashes first, ~15x slower on these sizes.
        picked = np.sort(rows.indices)
        keep = np.ones(picked.shape[0], dtype=bool)
        np.not_equal(picked[1:], picked[:-1], out=keep[1:])
        picked = picked[keep]
        # Column c of ``rows`` becomes its rank among the touched columns (order kept, so each
        # row's columns stay sorted).
        rows = Rows(rows.data, np.searchsorted(picked, rows.indices), rows.indptr,
                    (rows.shape[0], picked.shape[0]))
        dense = dense[picked]
    return np.asarray(rows.to_scipy() @ np.asarray(dense, dtype=np.float64), dtype=np.float64)


def _bincount_product(rows: Rows, dense: np.ndarray) -> np.ndarray:
    """``rows @ dense`` with one ``np.bincount`` per column of ``dense`` (see ``Rows.dot``)."""
    out = np.empty((rows.shape[0], dense.shape[1]))
    entry_rows = rows.entry_rows()
    picked = dense[rows.indices].astype(np.float64)
    for j in range(dense.shape[1]):
        out[:, j] = np.bincount(entry_rows, weights=rows.data * picked[:, j],
                                minlength=rows.shape[0])
    return out


def load_batch_kernel() -> None:
    """Import what large products use (scipy.sparse, ~0.3 s), e.g. before forking workers."""
    import scipy.sparse  # noqa: F401


def hstack(blocks: Sequence[Rows]) -> Rows:
    """Blocks side by side (same number of rows): each row's entries block after block."""
    n_rows = blocks[0].shape[0]
    indptr = np.sum([b.indptr for b in blocks], axis=0)
    data = np.empty(int(indptr[-1]))
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    # An entry of a block lands after its row's entries in the earlier blocks.
    before = indptr[:-1].copy()
    offset = 0
    for b in blocks:
        rows = b.entry_rows()
        dest = before[rows] + (np.arange(b.nnz) - b.indptr[rows])
        data[dest] = b.data
        indices[dest] = b.indices + np.int32(offset)
        before += np.diff(b.indptr)
        offset += b.shape[1]
    return Rows(data, indices, indptr, (n_rows, offset))


def vstack(blocks: Sequence[Rows]) -> Rows:
    """Blocks one below the other (same number of columns)."""
    ends = np.cumsum([0, *(b.nnz for b in blocks)])
    indptr = np.concatenate([[0], *(b.indptr[1:] + end for b, end
                                    in zip(blocks, ends[:-1].tolist(), strict=True))])
    return Rows(np.concatenate([b.data for b in blocks]),
                np.concatenate([b.indices for b in blocks]), indptr,
                (sum(b.shape[0] for b in blocks), blocks[0].shape[1]))
