"""Multi-label metrics, threshold tuning and deterministic stratified folds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["best_threshold", "logit", "make_folds", "report", "tune_thresholds"]


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def report(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str],
           scores: np.ndarray | None = None) -> dict[str, Any]:
    """n, micro/macro F1 and per-label P/R/F1/support; top-1 accuracy for single-label data.

    Macro F1 averages the labels that have support (a label absent from the data has no F1).
    """
    yt, yp = y_true.astype(bool), y_pred.astype(bool)
    tp, fp, fn = (yt & yp).sum(0), (~yt & yp).sum(0), (yt & ~yp).sum(0)
    per = {}
    for j, lab in enumerate(labels):
        p, r, f = _prf(tp[j], fp[j], fn[j])
        per[lab] = {"precision": round(float(p), 4), "recall": round(float(r), 4),
                    "f1": round(float(f), 4),
                    "support": int(yt[:, j].sum())}
    mp, mr, mf = (float(v) for v in _prf(tp.sum(), fp.sum(), fn.sum()))
    supported = [per[lab]["f1"] for j, lab in enumerate(labels) if yt[:, j].any()]
    out: dict[str, Any] = {
        "n": int(yt.shape[0]), "micro_precision": round(mp, 4), "micro_recall": round(mr, 4),
        "micro_f1": round(mf, 4),
        "macro_f1": round(float(np.mean(supported)), 4) if supported else 0.0,
        "per_label": per,
    }
    if scores is not None and yt.shape[0] and (yt.sum(1) == 1).all():
        out["top1_accuracy"] = round(float((yt[np.arange(len(yt)), scores.argmax(1)]).mean()), 4)
    return out


def best_threshold(y: np.ndarray, p: np.ndarray, lo: float = 0.05, hi: float = 0.95,
                   weights: np.ndarray | None = None) -> float:
    """The threshold in [lo, hi] that maximizes (weighted) F1 of ``p >= t`` (ties: the
    middle one)."""
    grid = np.round(np.arange(lo, hi + 1e-9, 0.01), 2)
    y = y.astype(bool)
    w = np.ones(y.shape[0]) if weights is None else weights
    f1s = []
    for t in grid:
        pred = p >= t
        f1s.append(_prf(w[y & pred].sum(), w[~y & pred].sum(), w[y & ~pred].sum())[2])
    arr = np.asarray(f1s)
    best = np.flatnonzero(arr >= arr.max() - 1e-12)
    return float(grid[best[len(best) // 2]])


def tune_thresholds(y: np.ndarray, p: np.ndarray, min_positive: int = 5,
                    weights: np.ndarray | None = None,
                    judged: np.ndarray | None = None, shrink: float = 0.0) -> np.ndarray:
    """Per-label F1-optimal thresholds; labels with fewer than ``min_positive`` positives get
    the threshold that is best for all labels pooled (too few examples to tune their own).

    ``weights`` (per row) weigh each example's hits and misses; ``judged`` (rows, labels) keeps
    only the rows judged for a label. ``shrink`` (>= 0) pulls a label's own threshold toward
    the pooled one in log-odds, as if ``shrink`` positives had voted for the pooled value:
    with n positives the result is ``sigmoid((n*logit(own) + shrink*logit(pooled)) /
    (n + shrink))``, so a theme tuned on ten examples moves most of the way and one tuned on a
    hundred hardly at all."""
    w = np.ones(y.shape[0]) if weights is None else weights
    ok = np.ones(y.shape, dtype=bool) if judged is None else judged.astype(bool)
    wide = np.broadcast_to(w[:, None], y.shape)
    pooled = best_threshold(y[ok], p[ok], weights=wide[ok])
    out = np.full(y.shape[1], pooled)
    for j in range(y.shape[1]):
        rows = ok[:, j]
        n = int(y[rows, j].sum())
        if n >= min_positive:
            own = best_threshold(y[rows, j], p[rows, j], weights=w[rows])
            out[j] = own if shrink == 0 else _expit(
                (n * logit(own) + shrink * logit(pooled)) / (n + shrink))
    return out


# Probabilities are kept this far from 0 and 1 before their log-odds are taken (finite).
_LOGIT_EPS = 1e-6


def logit(p: Any) -> Any:
    """Log-odds of probabilities (a number or an array), clipped to [_LOGIT_EPS,
    1 - _LOGIT_EPS] first so that 0 and 1 give finite values."""
    q = np.clip(p, _LOGIT_EPS, 1.0 - _LOGIT_EPS)
    return np.log(q / (1.0 - q))


def _expit(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


def make_folds(y: np.ndarray, cv: int, seed: int) -> np.ndarray:
    """Fold id per example, stratified on each example's rarest label (none = its own group)."""
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    freq = y.sum(0)
    key = np.full(n, -1)
    for i in range(n):
        pos = np.flatnonzero(y[i])
        if len(pos):
            key[i] = pos[np.argmin(freq[pos])]
    order = rng.permutation(n)
    folds = np.zeros(n, dtype=np.int64)
    start = int(rng.integers(cv))
    for k in np.unique(key):
        members = order[key[order] == k]
        folds[members] = (start + np.arange(len(members))) % cv
        start = (start + len(members)) % cv
    return folds
