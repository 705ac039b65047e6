"""Train theme models: ``train(paths, out_dir=..., settings=TrainSettings(...))``.

Training reads labelled files (``classifier.training.datasets``), adds the base model's stored
examples (``base``; a new label set for the same id replaces the old one), builds word/char
vocabularies, fits one-vs-rest linear models on TF-IDF (plus one pseudo-document per taxonomy
theme built from its name, covers and terms), fits the shared score/term-evidence combiner and
per-theme thresholds on out-of-fold scores, reports cross-validated metrics and saves the model
atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifier import __version__
from classifier.errors import DataError, OptionError
from classifier.features.lexicon import CONTEXT_TERMS, context_gate, lexicon_counts
from classifier.features.lexicon import lexicon_features as _lexfeat
from classifier.features.space import FeatureSettings, FeatureSpace, compose
from classifier.model.store import StoredExamples, check_output_dir, load_examples, save_model
from classifier.model.taxonomy import Taxonomy, load_taxonomy
from classifier.model.theme_model import ThemeModel, top_one
from classifier.training.datasets import Example, read_examples
from classifier.training.evaluation import compare_with_base
from classifier.training.fitting import (
    ESTIMATORS,
    build_counts,
    fit_combiner,
    fit_linear,
    fit_term_prior,
    fit_theme_combiners,
    idf_of,
)
from classifier.training.metrics import logit, make_folds, report, tune_thresholds

__all__ = ["COMBINERS", "PRIOR_MAX_EXAMPLES", "PSEUDO_WEIGHT", "TrainSettings", "calibrate_model",
           "calibrated", "train"]

log = logging.getLogger(__name__)
PSEUDO_WEIGHT = 1.0
# Themes with fewer real examples than this get the taxonomy term prior (model.combine).
# Issue 3 chose 10 on the People's Daily labels alone. Issue 11 (People's Daily + union_press,
# per-theme combiner, fixed holdouts, docs/CLASSIFIER.md): under 10 -> PD holdout 0.802/0.792,
# union_press holdout 0.768/0.763, seeds 0.805/0.797, web union news 0.646/0.653; under 30 ->
# 0.806/0.796, 0.761/0.739, 0.810/0.806, 0.667/0.654; every theme 0.798/0.782, 0.711/0.705,
# 0.815/0.810 (shrink 10). Under 10, union_building (17) and workers_culture (10) would lose
# their terms on union pages, where their recall is the big miss. A per-theme prior strength
# fitted instead of this count (max(model, prior + delta_j), delta_j shrunk to 0) measured
# worse: 0.756/0.701, 0.763/0.752, 0.805/0.772, 0.609/0.632.
PRIOR_MAX_EXAMPLES = 30
COMBINERS = ("theme", "pooled")


@dataclass(frozen=True)
class TrainSettings:
    """How to train (validated when made; bad values raise ``OptionError``).

    ``cv`` folds for out-of-fold thresholds and metrics (0: none, else at least 2);
    ``estimator`` one of ``ESTIMATORS`` with inverse regularization ``c``; ``features`` the
    TF-IDF settings; ``use_lexicon`` whether taxonomy terms are evidence; ``pseudo_weight``
    the sample weight of each theme's pseudo-document; ``term_prior`` whether themes with few
    examples may fire on their terms alone.

    Issue 11: ``combiner`` ``"theme"`` fits one score/term-evidence combiner per theme, shrunk
    toward the pooled one by ``shrink`` (an L2 pull; larger = closer to pooled), ``"pooled"``
    shares one; ``calibrate`` shifts each theme's score so that its tuned threshold becomes
    0.5 (scores comparable across themes; decisions unchanged); ``desk_weight`` is the
    training weight of the new examples when retraining on a ``--base`` model's examples
    (which keep their stored weight); ``threshold_shrink`` pulls each theme's tuned
    threshold toward the pooled one as if that many positives had voted for it (0: none;
    ``tune_thresholds``), so a theme tuned on a dozen examples does not keep an extreme
    threshold its few out-of-fold scores happened to favour; ``context_min``: the term prior
    applies only to articles where 工会 and 职工 occur that many times in all (0: every
    article), because taxonomy terms speak for a theme in a union report but often appear in
    general news that is not about workers.
    """

    cv: int = 5
    seed: int = 0
    estimator: str = "logreg"
    c: float = 10.0
    features: FeatureSettings = field(default_factory=FeatureSettings)
    use_lexicon: bool = True
    pseudo_weight: float = PSEUDO_WEIGHT
    term_prior: bool = True
    combiner: str = "theme"
    shrink: float = 3.0
    calibrate: bool = True
    threshold_shrink: float = 30.0
    context_min: int = 3
    desk_weight: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.cv, bool) or not isinstance(self.cv, int) or self.cv == 1 \
                or self.cv < 0:
            raise OptionError(f"cv must be 0 (no cross-validation) or at least 2, got "
                              f"{self.cv!r}")
        if self.estimator not in ESTIMATORS:
            raise OptionError(f"estimator must be one of {', '.join(ESTIMATORS)}, got "
                              f"{self.estimator!r}")
        if not self.c > 0:
            raise OptionError(f"C must be > 0, got {self.c!r}")
        if not self.pseudo_weight >= 0:
            raise OptionError(f"pseudo_weight must be >= 0, got {self.pseudo_weight!r}")
        if self.combiner not in COMBINERS:
            raise OptionError(f"combiner must be one of {', '.join(COMBINERS)}, got "
                              f"{self.combiner!r}")
        if not (self.shrink > 0 and np.isfinite(self.shrink)):
            raise OptionError(f"shrink must be a finite number > 0, got {self.shrink!r}")
        if isinstance(self.context_min, bool) or not isinstance(self.context_min, int) \
                or self.context_min < 0:
            raise OptionError(f"context_min must be a whole number >= 0 (0: the term prior "
                              f"applies to every article), got {self.context_min!r}")
        if not (self.threshold_shrink >= 0 and np.isfinite(self.threshold_shrink)):
            raise OptionError(f"threshold_shrink must be a finite number >= 0, got "
                              f"{self.threshold_shrink!r}")
        # A weight of 0 would silently drop the examples; above 1000 one example outweighs
        # any base model's whole training set.
        if not 0 < self.desk_weight <= 1000:
            raise OptionError(f"desk_weight must be > 0 and <= 1000 (1 = as much as a base "
                              f"example), got {self.desk_weight!r}")


@dataclass
class _Data:
    """Everything fitting needs, in feature form: examples (base first), labels, term hits."""

    labels: list[str]
    use_lex: bool
    terms: list[str]
    groups: list[list[int]]
    context: list[int]  # term columns of CONTEXT_TERMS (not in any group)
    space: FeatureSpace  # vocabularies with unit IDF (fitted per fold)
    counts: sp.csr_matrix
    pseudo_counts: sp.csr_matrix
    pseudo_y: np.ndarray
    y: np.ndarray
    lex: np.ndarray
    gate: np.ndarray  # (n,) 1 where the term prior applies (a union article)
    body: np.ndarray
    head: np.ndarray
    ids: list[str]
    example_labels: list[list[str]]
    examples: list[Example]  # the new ones (not from the base)
    n_base: int
    skipped: int
    data_sha: str
    weights: np.ndarray  # (n,) training weight of each example
    judged: np.ndarray  # (n, n_labels) bool: the label was judged for the example
    folds: np.ndarray | None  # (n,) cross-validation fold of each example (None: cv < 2)


def _read_all(paths: Sequence[str | Path], skip_bad: bool) -> tuple[list[Example], str, int]:
    merged: dict[str, Example] = {}
    digest = hashlib.sha256()
    skipped = 0
    for path in paths:
        examples, bad = read_examples(path, skip_bad=skip_bad)
        digest.update(Path(path).read_bytes())
        skipped += bad
        for ex in examples:
            if ex.id in merged and set(merged[ex.id].labels) != set(ex.labels):
                log.warning("id %r appears twice with different labels (%s, then %s): the "
                            "later one is used; give each article one id", ex.id,
                            list(merged[ex.id].labels), list(ex.labels))
            merged[ex.id] = ex  # a later label set for the same id wins
    return list(merged.values()), digest.hexdigest(), skipped


def _label_set(tax: Taxonomy, seen: Sequence[str]) -> tuple[list[str], bool]:
    """Labels of the model and whether the taxonomy's terms apply to them."""
    known = set(tax.ids)
    unknown = sorted(set(seen) - known)
    if seen and not (set(seen) & known):
        log.warning("no label of the data is in the taxonomy: training without term evidence")
        return sorted(set(seen)), False
    for lab in unknown:
        log.warning("label %r is not in the taxonomy: accepted as a new theme, shown by its "
                    "id; to name it, add it (id, zh, en, terms) to a copy of the taxonomy "
                    "and pass --taxonomy FILE", lab)
    return [*tax.ids, *unknown], True


def _pseudo_docs(tax: Taxonomy, labels: list[str], weight: int) -> tuple[list[str], np.ndarray]:
    docs, rows = [], []
    for j, lab in enumerate(labels):
        theme = tax.get(lab)
        if theme is None:
            continue
        doc, _ = compose(theme.zh, theme.covers + "。" + "、".join(theme.terms), weight)
        docs.append(doc)
        row = np.zeros(len(labels), dtype=np.int8)
        row[j] = 1
        rows.append(row)
    return docs, np.asarray(rows, dtype=np.int8).reshape(len(rows), len(labels))


def _terms(tax: Taxonomy, labels: list[str], use: bool, context: bool,
           ) -> tuple[list[str], list[list[int]], list[int]]:
    """Term columns, each theme's columns, and the context columns (counted, in no theme)."""
    terms: list[str] = []
    groups: list[list[int]] = []
    for lab in labels:
        theme = tax.get(lab) if use else None
        group = []
        for term in (theme.terms if theme else ()):
            t = term.lower()
            if t not in terms:
                terms.append(t)
            group.append(terms.index(t))
        groups.append(group)
    columns: list[int] = []
    for t in (CONTEXT_TERMS if use and context else ()):
        if t not in terms:
            terms.append(t)
        columns.append(terms.index(t))
    return terms, groups, columns


def _remap_hits(hits: np.ndarray, old: list[str], new: list[str]) -> np.ndarray:
    out = np.zeros((hits.shape[0], len(new)), dtype=np.float32)
    pos = {t: i for i, t in enumerate(old)}
    for j, t in enumerate(new):
        if t in pos:
            out[:, j] = hits[:, pos[t]]
    return out


def _label_matrix(example_labels: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {lab: j for j, lab in enumerate(labels)}
    y = np.zeros((len(example_labels), len(labels)), dtype=np.int8)
    for i, labs in enumerate(example_labels):
        for lab in labs:
            y[i, index[lab]] = 1
    return y


def _prepare(paths: Sequence[str | Path], settings: TrainSettings, taxonomy: str | Path | None,
             base: str | Path | None, skip_bad: bool) -> _Data:
    """Read the data (and the base's examples) and lay it all out in feature form."""
    examples, data_sha, skipped = _read_all(paths, skip_bad)
    stored = load_examples(base) if base is not None else None
    if stored is not None:
        # A desk's corrections in id order: the same corrections saved in another order give
        # the same model (vocabulary, fitting order and folds).
        examples.sort(key=attrgetter("id"))
    new_ids = {ex.id for ex in examples}
    keep = [i for i, rid in enumerate(stored.ids) if rid not in new_ids] if stored else []
    base_labels = [stored.labels[i] for i in keep] if stored else []
    if not examples and not keep:
        raise DataError("no training examples: give at least one data file with rows")
    tax = load_taxonomy(taxonomy)
    seen = sorted({lab for ex in examples for lab in ex.labels} | {x for b in base_labels
                                                                      for x in b})
    labels, use_lex = _label_set(tax, seen)
    use_lex = use_lex and settings.use_lexicon
    terms, groups, context = _terms(tax, labels, use_lex, settings.context_min > 0)
    fs = settings.features
    if stored is not None and stored.features is not None:
        fs = _counted_like_base(stored.features, fs)
    pairs = [compose(ex.title, ex.text, fs.title_weight, read_chars=fs.read_chars)
             for ex in examples]
    docs = [d for d, _ in pairs]
    pseudo, pseudo_y = (_pseudo_docs(tax, labels, fs.title_weight) if use_lex
                        else ([], np.zeros((0, len(labels)), dtype=np.int8)))
    counts, wv, cv = build_counts(docs, fs, pseudo, stored.counts[keep] if stored else None,
                                  stored.word_vocab if stored else (),
                                  stored.char_vocab if stored else ())
    space = FeatureSpace(fs, wv, cv, np.ones(len(wv)), np.ones(len(cv)))
    pseudo_counts = (space.counts(pseudo).to_scipy() if pseudo
                     else sp.csr_matrix((0, space.n_features)))
    body = lexicon_counts(docs, terms)
    head = lexicon_counts([h for _, h in pairs], terms)
    if stored:
        body = np.vstack([_remap_hits(stored.body_hits[keep], stored.terms, terms), body])
        head = np.vstack([_remap_hits(stored.title_hits[keep], stored.terms, terms), head])
    example_labels = [*base_labels, *[list(ex.labels) for ex in examples]]
    ids = [*([stored.ids[i] for i in keep] if stored else []), *[ex.id for ex in examples]]
    weights, judged = _weights_and_judged(stored, keep, labels, len(examples), settings)
    y = _label_matrix(example_labels, labels)
    return _Data(labels, use_lex, terms, groups, context, space, counts, pseudo_counts,
                 pseudo_y, y, _lexfeat(body, head, groups),
                 context_gate(body, context, settings.context_min), body, head, ids,
                 example_labels, examples, len(keep), skipped, data_sha, weights, judged,
                 _folds(y, stored, keep, settings))


# Settings that decide a stored example's counts (the others act on counts at fitting time).
_COUNTING = ("title_weight", "char_lo", "char_hi", "read_chars")


def _counted_like_base(base: FeatureSettings, given: FeatureSettings) -> FeatureSettings:
    """``given`` with the base's counting settings: the base's examples were counted with
    them and cannot be counted again (their texts are not stored), so new examples are counted
    the same way. A given value that differs is named in a warning."""
    differ = [f"{k} {getattr(given, k)} (the base has {getattr(base, k)})" for k in _COUNTING
              if getattr(base, k) != getattr(given, k)]
    if differ:
        log.warning("with --base, examples are counted as the base counted its own: ignoring "
                    "%s", "; ".join(differ))
    return replace(given, **{k: getattr(base, k) for k in _COUNTING})


def _weights_and_judged(stored: StoredExamples | None, keep: list[int], labels: list[str],
                        n_new: int, settings: TrainSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per-example training weights and judged-label mask, base examples first.

    New examples were judged for every label. A base example was judged for the labels of
    the model that stored it (its ``judged`` mask, or all of them for models saved before
    the mask existed); a label new to the base was never judged on it, so it is neither a
    positive nor a negative there (issue 11). New examples weigh ``desk_weight`` when a base
    is given: a desk's corrections about its own paper.
    """
    n_base = len(keep)
    desk = settings.desk_weight if stored is not None else 1.0
    weights = np.r_[np.ones(n_base), np.full(n_new, desk)]
    judged = np.ones((n_base + n_new, len(labels)), dtype=bool)
    if stored is not None:
        if stored.weights is not None:
            weights[:n_base] = stored.weights[keep]
        base_labels = stored.model_labels or sorted({x for labs in stored.labels for x in labs})
        mask = (stored.judged[keep] if stored.judged is not None
                else np.ones((n_base, len(base_labels)), dtype=bool))
        col = {lab: j for j, lab in enumerate(base_labels)}
        for j, lab in enumerate(labels):
            judged[:n_base, j] = mask[:, col[lab]] if lab in col else False
    return weights, judged


def _folds(y: np.ndarray, stored: StoredExamples | None, keep: list[int],
           settings: TrainSettings) -> np.ndarray | None:
    """Cross-validation fold of each example, base examples first (None when ``cv < 2``).

    Without a base: ``make_folds`` over the data as read. With one, the base's examples keep
    the folds they were in when the base was trained (recomputed from the base's examples
    alone for a model saved before folds were stored) and the new examples, taken in id order,
    are folded among themselves. Otherwise 40 corrections beside 1,300 base examples would
    reshuffle every fold, and with them the out-of-fold scores every theme's threshold and
    combiner are tuned on: the same corrections in another line order moved the retrained
    model by up to 0.03 micro-F1 on held-out union news (docs/CLASSIFIER.md).
    """
    cv = settings.cv
    if cv < 2:
        return None
    if stored is None:
        return make_folds(y, cv, settings.seed)
    n_base = len(keep)  # the kept base examples come first
    base = (stored.folds[keep] % cv if stored.folds is not None
            else make_folds(y[:n_base], cv, settings.seed))
    return np.r_[base, make_folds(y[n_base:], cv, settings.seed)].astype(np.int64)


def _fit(data: _Data, rows: np.ndarray | slice, settings: TrainSettings,
         ) -> tuple[FeatureSpace, np.ndarray, np.ndarray]:
    """IDF from the chosen example rows (real examples only), then the linear fit on those
    rows plus the pseudo-documents."""
    counts, y = data.counts[rows], data.y[rows]
    space = data.space
    nw = len(space.word_vocab)
    fs = FeatureSpace(space.settings, space.word_vocab, space.char_vocab,
                      idf_of(counts[:, :nw]), idf_of(counts[:, nw:]))
    x = fs.weigh(sp.vstack([counts, data.pseudo_counts], format="csr")).to_scipy()
    yy = np.vstack([y, data.pseudo_y])
    w = np.r_[data.weights[rows], np.full(data.pseudo_counts.shape[0], settings.pseudo_weight)]
    judged = np.vstack([data.judged[rows], np.ones(data.pseudo_y.shape, dtype=bool)])
    coef, intercept = fit_linear(x, yy, w, estimator=settings.estimator, c=settings.c,
                                 seed=settings.seed, judged=judged)
    return fs, coef, intercept


def _probe(data: _Data, combiner: np.ndarray, prior_mask: np.ndarray,
           theme_combiner: np.ndarray | None) -> ThemeModel:
    """A model shell used only for its ``combine`` during training."""
    n = len(data.labels)
    return ThemeModel(labels=data.labels, names={}, features=data.space,
                      coef=np.zeros((n, 0)), intercept=np.zeros(n), combiner=combiner,
                      thresholds=np.full(n, 0.5), terms=data.terms, term_groups=data.groups,
                      prior_mask=prior_mask, theme_combiner=theme_combiner)


def calibrated(combiner: np.ndarray, theme_combiner: np.ndarray | None,
               thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per-theme combiner, thresholds of 0.5) whose scores cross 0.5 where the tuned
    thresholds were.

    Theme j's logit is shifted by logit(threshold_j): ``p >= t`` iff
    ``sigmoid(logit(p) - logit(t)) >= 0.5``, and the term prior's max(sigmoid(u), sigmoid(v))
    shifts the same way, so every decision is kept while every theme's decision point becomes
    0.5 and scores compare across themes (issue 11: a 0.21 that is not assigned beside a 0.11
    that is).
    """
    n = thresholds.shape[0]
    rows = np.array(np.tile(combiner, (n, 1)) if theme_combiner is None else theme_combiner,
                    dtype=np.float64)
    shift = logit(thresholds)
    rows[:, 4] -= shift  # b of sigmoid(a*m + c.lex + b)
    if rows.shape[1] == 9:
        rows[:, 8] -= shift  # e of the term prior sigmoid(d.lex + e)
    return rows, np.full(n, 0.5)


def calibrate_model(model: ThemeModel) -> ThemeModel:
    """The same model with every theme's decision point moved to 0.5 (``calibrated``): each
    decision stays as it was, and scores compare across themes. A model already calibrated
    comes back unchanged. Its tuned thresholds are kept in ``meta["training"]``.
    """
    if model.calibrated:
        return model
    rows, thresholds = calibrated(model.combiner, model.theme_combiner, model.thresholds)
    meta = dict(model.meta)
    training = dict(meta.get("training") or {})
    training["tuned_thresholds"] = {lab: round(float(t), 4)
                                    for lab, t in zip(model.labels, model.thresholds,
                                                      strict=True)}
    training["calibrated"] = True
    meta["training"] = training
    return ThemeModel(labels=model.labels, names=model.names, features=model.features,
                      coef=model.coef, intercept=model.intercept, combiner=model.combiner,
                      thresholds=thresholds, terms=model.terms, term_groups=model.term_groups,
                      meta=meta, prior_mask=model.prior_mask, theme_combiner=rows)


def _cross_validate(data: _Data, settings: TrainSettings, prior_mask: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict[str, Any]]:
    """(shared combiner, per-theme combiner or None, thresholds, CV metrics) from
    out-of-fold margins over ``data.folds`` (set: cv >= 2); weighted by the examples' weights,
    on judged labels only."""
    y, cv, w, judged, folds = data.y, settings.cv, data.weights, data.judged, data.folds
    assert folds is not None  # the caller cross-validates only when there are folds
    margins = np.zeros(y.shape, dtype=np.float64)
    for k in range(cv):
        fs, coef, icpt = _fit(data, folds != k, settings)
        margins[folds == k] = fs.weigh(data.counts[folds == k]).dot(coef.T) + icpt
    combiner = fit_combiner(margins, data.lex, y, data.use_lex, w, judged)
    theme: np.ndarray | None = None
    if settings.combiner == "theme":
        theme = fit_theme_combiners(margins, data.lex, y, combiner, shrink=settings.shrink,
                                    use_lexicon=data.use_lex, weights=w, judged=judged)
    if data.use_lex and settings.term_prior:
        # Fitted on every article: fitted on union articles alone it came out stronger and
        # fired on more non-members there (measured, docs/CLASSIFIER.md). The gate only
        # decides where it applies, here (thresholds) as in prediction.
        prior = fit_term_prior(data.lex, y, w, judged)
        combiner = np.r_[combiner, prior]
        if theme is not None:
            theme = np.hstack([theme, np.tile(prior, (len(data.labels), 1))])
    proba = _probe(data, combiner, prior_mask, theme).combine(margins, data.lex, data.gate)
    shrink = settings.threshold_shrink
    thresholds = tune_thresholds(y, proba, weights=w, judged=judged, shrink=shrink)
    # Report with thresholds tuned on the other folds only (nested), not on the fold itself.
    if _single_label(y):  # each article gets its best label, as the model will predict
        pred = top_one(proba)
    else:
        pred = np.zeros_like(y)
        for k in range(cv):
            te = folds == k
            pred[te] = proba[te] >= tune_thresholds(y[~te], proba[~te], weights=w[~te],
                                                    judged=judged[~te], shrink=shrink)
    pred[~judged] = y[~judged]  # a label never judged for an example is not scored on it
    metrics = report(y, pred, data.labels, proba)
    metrics["folds"] = cv
    if data.n_base and data.examples:
        # The new examples (a desk's corrections) alone, out of fold: how the retrained model
        # does on what the desk taught it (the review page shows it).
        new = slice(data.n_base, None)
        metrics["new_examples"] = report(y[new], pred[new], data.labels, proba[new])
    return combiner, theme, thresholds, metrics


def _single_label(y: np.ndarray) -> bool:
    """Whether the data are categories: two or more labels, every example exactly one."""
    return bool(y.shape[1] >= 2 and y.shape[0] and (y.sum(axis=1) == 1).all())


def _summary(data: _Data, settings: TrainSettings, fs: FeatureSpace, prior_mask: np.ndarray,
             base: str | Path | None, seconds: float) -> dict[str, Any]:
    """The training summary stored in meta.json."""
    return {
        "n_examples": len(data.ids), "n_new": len(data.examples), "n_from_base": data.n_base,
        "skipped_bad_rows": data.skipped, "data_sha256": data.data_sha,
        "examples_per_label": {lab: int(data.y[:, j].sum()) for j, lab in enumerate(data.labels)},
        "no_label": int((data.y.sum(1) == 0).sum()), "taxonomy_evidence": data.use_lex,
        "estimator": settings.estimator, "C": settings.c, "seed": settings.seed,
        "seconds": round(seconds, 2), "pseudo_weight": settings.pseudo_weight,
        "term_prior": bool(data.use_lex and settings.term_prior and settings.cv >= 2),
        "term_prior_themes": [lab for lab, on in zip(data.labels, prior_mask, strict=True) if on],
        "base": str(base) if base is not None else None,
        "combiner": settings.combiner, "shrink": settings.shrink,
        "threshold_shrink": settings.threshold_shrink,
        "context_min": settings.context_min if data.context else None,
        "union_articles": int(data.gate.sum()) if data.context else None,
        "calibrated": bool(settings.calibrate and settings.cv >= 2),
        "desk_weight": settings.desk_weight if base is not None else None,
        "judged_examples_per_label": {lab: int(data.judged[:, j].sum())
                                      for j, lab in enumerate(data.labels)},
        "n_word_features": len(fs.word_vocab), "n_char_features": len(fs.char_vocab),
    }


def train(paths: Sequence[str | Path], *, out_dir: str | Path,
          settings: TrainSettings | None = None, taxonomy: str | Path | None = None,
          base: str | Path | None = None, skip_bad: bool = False,
          force: bool = False) -> dict[str, Any]:
    """Train a model on labelled files (plus ``base``'s examples), save it, return metrics.

    ``out_dir`` must be absent, empty, or a model (replaced only with ``force``): checked
    before anything is read or fitted (``check_output_dir``).

    Returns ``{"out", "training", "cv"}`` and, with ``base``, ``"base_comparison"``: both
    models on the new data. Raises ``DataError`` for unusable data, ``OptionError`` for bad
    settings, ``ModelError`` for an unusable base model.
    """
    check_output_dir(out_dir, replace=force)  # fail in a moment, not after the fitting
    t0 = time.perf_counter()
    settings = settings or TrainSettings()
    data = _prepare(paths, settings, taxonomy, base, skip_bad)
    prior_mask = data.y.sum(axis=0) < PRIOR_MAX_EXAMPLES
    combiner = np.asarray([1.0, 0.0, 0.0, 0.0, 0.0])
    thresholds = np.full(len(data.labels), 0.5)
    cv_metrics: dict[str, Any] = {}
    per_theme: np.ndarray | None = None
    tuned = thresholds
    if data.folds is not None:  # cv >= 2
        combiner, per_theme, tuned, cv_metrics = _cross_validate(data, settings, prior_mask)
        thresholds = tuned
        if settings.calibrate:
            per_theme, thresholds = calibrated(combiner, per_theme, tuned)
    fs, coef, icpt = _fit(data, slice(None), settings)
    tax = load_taxonomy(taxonomy)
    names = {lab: {"zh": theme.zh if theme else "", "en": theme.en if theme else ""}
             for lab in data.labels for theme in [tax.get(lab)]}
    summary = _summary(data, settings, fs, prior_mask, base, time.perf_counter() - t0)
    # The thresholds the scores were tuned to before calibration moved them all to 0.5.
    summary["tuned_thresholds"] = {lab: round(float(t), 4)
                                   for lab, t in zip(data.labels, tuned, strict=True)}
    meta = {"package_version": __version__,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "training": summary, "cv_metrics": cv_metrics,
            "single_label": _single_label(data.y)}
    if data.context:
        meta["term_context"] = {"columns": data.context, "min": settings.context_min}
    yields = {lab: [other for other in theme.yields_to if other in data.labels]
              for lab in data.labels for theme in [tax.get(lab)] if theme is not None}
    if any(yields.values()):
        meta["yields"] = {lab: others for lab, others in yields.items() if others}
    model = ThemeModel(labels=data.labels, names=names, features=fs, coef=coef, intercept=icpt,
                       combiner=combiner, thresholds=thresholds, terms=data.terms,
                       term_groups=data.groups, meta=meta, prior_mask=prior_mask,
                       theme_combiner=per_theme)
    save_model(model, out_dir, StoredExamples(data.ids, data.example_labels, data.counts,
                                              data.body, data.head, fs.word_vocab,
                                              fs.char_vocab, data.terms, weights=data.weights,
                                              judged=data.judged, folds=data.folds),
               replace=force)
    result: dict[str, Any] = {"out": str(out_dir), "training": summary, "cv": cv_metrics}
    if base is not None and data.examples:
        result["base_comparison"] = compare_with_base(base, out_dir, data.examples)
    return result
