"""Training-time numerics (scikit-learn allowed here, never at prediction): vocabularies and
counts, IDF, one-vs-rest linear fits, the shared score/term-evidence combiner."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC

from classifier.features.space import CharAnalyzer, FeatureSettings, word_analyzer

__all__ = [
    "ESTIMATORS",
    "build_counts",
    "fit_combiner",
    "fit_linear",
    "fit_term_prior",
    "fit_theme_combiners",
    "idf_of",
    "nb_ratios",
]

ESTIMATORS = ("logreg", "sgd", "svm", "nbsvm")


def _vectorize(docs: Sequence[str], analyzer: object) -> tuple[sp.csr_matrix, list[str]]:
    vec = CountVectorizer(analyzer=analyzer, min_df=1, dtype=np.float64)
    counts = vec.fit_transform(docs).tocsr()
    return counts, list(vec.get_feature_names_out())


def _remap(counts: sp.csr_matrix, old: list[str], new_index: dict[str, int],
           width: int) -> sp.csr_matrix:
    """Re-index columns of ``counts`` (vocabulary ``old``) into a new vocabulary."""
    cols = np.asarray([new_index.get(t, -1) for t in old], dtype=np.int64)
    c = counts.tocoo()
    keep = cols[c.col] >= 0
    out = sp.csr_matrix((c.data[keep], (c.row[keep], cols[c.col[keep]])),
                        shape=(counts.shape[0], width))
    out.sum_duplicates()
    return out


def _block(docs: Sequence[str], analyzer: object, base: sp.csr_matrix | None,
           base_vocab: list[str], forced: Sequence[str], min_df: int,
           ) -> tuple[sp.csr_matrix, list[str]]:
    counts, vocab = _vectorize(docs, analyzer) if docs else (sp.csr_matrix((0, 0)), [])
    union = list(dict.fromkeys([*base_vocab, *vocab]))
    index = {t: i for i, t in enumerate(union)}
    parts = []
    if base is not None and base.shape[0]:
        parts.append(_remap(base, base_vocab, index, len(union)))
    if docs:
        parts.append(_remap(counts, vocab, index, len(union)))
    allc = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, len(union)))
    df = np.bincount(allc.indices, minlength=len(union))
    keep = df >= min_df
    forced_set = set(forced)
    for i, t in enumerate(union):
        if t in forced_set:
            keep[i] = True
    cols = np.flatnonzero(keep)
    final = [union[i] for i in cols]
    return allc[:, cols].tocsr(), final


def build_counts(docs: Sequence[str], settings: FeatureSettings, pseudo: Sequence[str],
                 base: sp.csr_matrix | None = None, base_words: Sequence[str] = (),
                 base_chars: Sequence[str] = ()) -> tuple[sp.csr_matrix, list[str], list[str]]:
    """Counts [words | chars] of base examples then ``docs``, and the two vocabularies.

    Vocabulary = terms with document frequency >= min_df over all examples, plus every term of
    the taxonomy pseudo-documents (seed evidence must stay representable).
    """
    char = CharAnalyzer(settings.char_lo, settings.char_hi)
    forced_w = [t for d in pseudo for t in word_analyzer(d)]
    forced_c = [t for d in pseudo for t in char(d)]
    nwb = len(base_words)
    bw = base[:, :nwb].tocsr() if base is not None else None
    bc = base[:, nwb:].tocsr() if base is not None else None
    wc, wv = _block(docs, word_analyzer, bw, list(base_words), forced_w, settings.min_df)
    cc, cv = _block(docs, char, bc, list(base_chars), forced_c, settings.min_df)
    return sp.hstack([wc, cc], format="csr"), wv, cv


def idf_of(counts: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smooth IDF of a count matrix (rows = documents)."""
    if counts.shape[0] == 0:
        return np.ones(counts.shape[1])
    tr = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2").fit(counts)
    return np.asarray(tr.idf_, dtype=np.float64)


def fit_linear(x: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, *, estimator: str,
               c: float, seed: int, judged: np.ndarray | None = None,
               ) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest (coef (L, F), intercept (L)) with balanced class weights.

    ``judged`` (n, L) bool: label j is fitted on the rows judged for it only, so examples
    that were never judged for a theme (a theme new to a ``--base`` model) are not its
    negatives.
    """
    n_labels = y.shape[1]
    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float64)
    intercept = np.full(n_labels, -5.0)
    all_rows = x
    all_w = weights
    for j in range(n_labels):
        x, weights = all_rows, all_w
        yj = y[:, j].astype(int)
        if judged is not None and not judged[:, j].all():
            rows = np.flatnonzero(judged[:, j])
            x, weights, yj = all_rows[rows], all_w[rows], yj[rows]
        if yj.shape[0] == 0:
            continue
        if yj.min() == yj.max():  # a label never (or always) present: constant score
            intercept[j] = 5.0 if yj[0] else -5.0
            continue
        if estimator == "logreg":
            est = LogisticRegression(C=c, class_weight="balanced", solver="liblinear",
                                     random_state=seed)
        elif estimator == "sgd":
            est = SGDClassifier(loss="log_loss", alpha=1e-5 / c, class_weight="balanced",
                                max_iter=50, tol=1e-4, random_state=seed)
        elif estimator in ("svm", "nbsvm"):
            est = LinearSVC(C=c / 20.0, class_weight="balanced", random_state=seed)
        else:
            raise ValueError(f"unknown estimator {estimator!r}; choose one of {ESTIMATORS}")
        if estimator == "nbsvm":
            # Scaling feature f by r_f and fitting w is the same linear score as coef = w * r
            # on the unscaled features, so prediction needs nothing new.
            r = nb_ratios(x, yj, weights)
            est.fit(x @ sp.diags(r), yj, sample_weight=weights)
            coef[j] = est.coef_[0] * r
        else:
            est.fit(x, yj, sample_weight=weights)
            coef[j] = est.coef_[0]
        intercept[j] = est.intercept_[0]
    return coef, intercept


def nb_ratios(x: sp.csr_matrix, yj: np.ndarray, weights: np.ndarray,
              alpha: float = 1.0) -> np.ndarray:
    """NBSVM log-count ratios: log of (smoothed share of positive rows containing the term) over
    (the same for negative rows), from binarized ``x`` (Wang & Manning 2012)."""
    xb = sp.csr_matrix(x, copy=True)
    xb.data[:] = 1.0
    pos = np.asarray(xb.T @ (weights * (yj == 1))).ravel() + alpha
    neg = np.asarray(xb.T @ (weights * (yj == 0))).ravel() + alpha
    return np.log(pos / pos.sum()) - np.log(neg / neg.sum())


def _logistic_loss(theta: np.ndarray, z: np.ndarray, y: np.ndarray, w: np.ndarray,
                   theta0: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    """Weighted log-loss of sigmoid(z @ theta) plus lam/2 * ||theta - theta0||^2, and its
    gradient."""
    s = z @ theta
    loss = float(np.sum(w * (np.logaddexp(0.0, s) - y * s)))
    p = 1.0 / (1.0 + np.exp(-np.clip(s, -50.0, 50.0)))
    grad = z.T @ (w * (p - y))
    d = theta - theta0
    return loss + 0.5 * lam * float(d @ d), grad + lam * d


def fit_theme_combiners(margins: np.ndarray, lex: np.ndarray, y: np.ndarray,
                        pooled: np.ndarray, *, shrink: float, use_lexicon: bool,
                        weights: np.ndarray | None = None,
                        judged: np.ndarray | None = None) -> np.ndarray:
    """Per-theme [a, c0, c1, c2, b] (L, 5), each shrunk toward the pooled combiner.

    Theme j minimizes its weighted log-loss on out-of-fold margins and term evidence plus
    ``shrink``/2 * ||theta_j - pooled||^2: a theme with few examples stays near the pooled
    weights (its terms keep speaking for it), a theme with many examples and term evidence
    that misleads moves away. No switch by example count (issue 11).
    """
    from scipy.optimize import minimize

    n, n_labels = y.shape
    w = np.ones(n) if weights is None else weights
    out = np.tile(pooled[:5], (n_labels, 1))
    cols = [0, 1, 2, 3, 4] if use_lexicon else [0, 4]
    for j in range(n_labels):
        rows = np.arange(n) if judged is None else np.flatnonzero(judged[:, j])
        if rows.shape[0] == 0:
            continue
        z = np.column_stack([margins[rows, j], lex[rows, j, :], np.ones(rows.shape[0])])
        z = z[:, cols]
        theta0 = pooled[:5][cols]
        res = minimize(_logistic_loss, theta0, args=(z, y[rows, j].astype(np.float64),
                                                       w[rows], theta0, shrink),
                       jac=True, method="L-BFGS-B")
        out[j, cols] = res.x
    return out


def _pooled(z: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
            judged: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, targets, sample weights) of every (example, theme) pair pooled into one
    problem: ``z`` holds one row per pair; an example's weight counts for each of its themes;
    pairs whose theme the example was never judged for (``judged`` False) are left out."""
    yy = y.reshape(-1).astype(int)
    sw = np.repeat(np.ones(y.shape[0]) if weights is None else weights, y.shape[1])
    if judged is None:
        return z, yy, sw
    keep = judged.reshape(-1)
    return z[keep], yy[keep], sw[keep]


def fit_combiner(margins: np.ndarray, lex: np.ndarray, y: np.ndarray,
                 use_lexicon: bool, weights: np.ndarray | None = None,
                 judged: np.ndarray | None = None) -> np.ndarray:
    """Shared [a, c0, c1, c2, b] of sigmoid(a*m + c.lex + b), fitted on out-of-fold margins
    pooled over all labels (Platt scaling with term evidence)."""
    feats = [margins.reshape(-1, 1)]
    if use_lexicon:
        feats.append(lex.reshape(-1, 3))
    z, yy, sw = _pooled(np.hstack(feats), y, weights, judged)
    if yy.shape[0] == 0 or yy.min() == yy.max():
        return np.asarray([1.0, 0.0, 0.0, 0.0, 0.0])
    lr = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(z, yy, sample_weight=sw)
    w = lr.coef_[0]
    c = w[1:4] if use_lexicon else np.zeros(3)
    return np.asarray([w[0], *c, lr.intercept_[0]])


def fit_term_prior(lex: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                   judged: np.ndarray | None = None) -> np.ndarray:
    """Shared [d0, d1, d2, e] of sigmoid(d . lex + e): how likely a theme is from its taxonomy
    terms alone, pooled over all themes so that rare themes get a calibrated prior."""
    z, yy, sw = _pooled(lex.reshape(-1, 3), y, weights, judged)
    if yy.shape[0] == 0 or yy.min() == yy.max():
        return np.asarray([0.0, 0.0, 0.0, -50.0])
    lr = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(z, yy, sample_weight=sw)
    return np.asarray([*lr.coef_[0], lr.intercept_[0]])
