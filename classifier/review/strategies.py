"""What to label next: rank unlabelled articles by how much a correction would teach the model.

``suggest(articles, model, n=...)`` scores every article with the model once (one vectorized
``predict_proba_many``) and picks ``n`` by a strategy:

- ``uncertainty``: closeness of some theme's score to that theme's decision point
  (``model.thresholds``, read from the model, never assumed to be 0.5), in logit units;
- ``rare``: likeness (cosine of TF-IDF rows) to the known members of themes with few training
  examples: the theme's taxonomy description and terms, the model's stored examples of the
  theme and any corrections already saved, weighted by how rare the theme is;
- ``diverse``: ``uncertainty`` with a diversity penalty, so a batch holds no near-duplicates;
- ``combined`` (the default): the mean of the uncertainty and rarity ranks, with the diversity
  penalty;
- ``random``: a seeded shuffle (the baseline the others are measured against).

Articles the model was trained on (ids of its stored examples) are never suggested: their
labels are known.

Measured on the union_press labels in ``bench/bench_suggest.py`` (results in docs/REVIEW.md).
Only numpy and scipy: ``suggest`` has to stay fast enough to run before a review page opens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from classifier.errors import ModelError, OptionError
from classifier.features.rows import Rows
from classifier.features.space import compose
from classifier.model.taxonomy import load_taxonomy
from classifier.model.theme_model import ThemeModel
from classifier.text.article import Article
from classifier.training.metrics import logit

if TYPE_CHECKING:
    from classifier.model.store import StoredExamples

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "Known", "Suggestion", "rank_articles", "suggest"]

STRATEGIES = ("combined", "uncertainty", "rare", "diverse", "random")
DEFAULT_STRATEGY = "combined"
# Two articles this alike (cosine of TF-IDF rows) are the same story told twice: never both in
# one batch. Reprints of one wire story score above 0.9; two reports of one kind of event
# (two skills contests) stay well below.
NEAR_DUPLICATE = 0.8
# Weight of the likeness to an article already picked, subtracted from a rank score in [0, 1].
DIVERSITY_WEIGHT = 0.5
# Greedy diversity is quadratic in the picks: past this many, the rest follow in score order.
DIVERSE_HEAD = 1000
# Count-sketch width for the diversity penalty, and how far below NEAR_DUPLICATE a sketched
# cosine still gets an exact check (about 5 standard errors of the sketch at this width).
SKETCH_DIMS = 2048
EXACT_PICKS = 100
SKETCH_MARGIN = 0.12
# Articles scored per model call (bounds the memory of the intermediate feature matrices).
SCORE_CHUNK = 2000


@dataclass(frozen=True)
class Known:
    """A labelled article the ranking may learn from (a saved correction)."""

    title: str
    text: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """One article worth labelling: why, and the model's current view of it.

    ``value`` is the strategy's score (higher: more useful); ``theme`` the theme the reason is
    about; ``labels`` the themes the model predicts now, best first.
    """

    id: str
    title: str
    source: str
    article: int
    why: str
    theme: str
    value: float
    labels: list[str]
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``classifier suggest`` prints)."""
        return {"id": self.id, "title": self.title, "why": self.why, "theme": self.theme,
                "value": round(self.value, 4), "labels": list(self.labels),
                "scores": dict(self.scores), "source": self.source, "article": self.article}


def _closeness(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """exp(-|logit p - logit t|): 1 on a theme's decision point, towards 0 far from it.

    Logit units, because a score of 0.10 against a threshold of 0.06 is as undecided as 0.60
    against 0.50, and the thresholds of a model differ widely between themes.
    """
    return np.asarray(np.exp(-np.abs(logit(proba) - logit(thresholds[None, :]))))


def _unit_rows(x: sp.spmatrix | Rows) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    x = sp.csr_matrix(x.to_scipy() if isinstance(x, Rows) else x, dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank scaled to [0, 1] (ties in index order; 1 is the largest)."""
    n = values.shape[0]
    if n <= 1:
        return np.ones(n)
    order = np.argsort(values, kind="stable")
    out = np.empty(n)
    out[order] = np.arange(n) / (n - 1)
    return out


def _theme_counts(model: ThemeModel, known: Sequence[Known]) -> np.ndarray:
    """Training examples per theme: the model's own (meta.json) plus the corrections."""
    per = (model.meta.get("training") or {}).get("examples_per_label") or {}
    counts = np.asarray([float(per.get(lab, 0)) for lab in model.labels])
    index = {lab: j for j, lab in enumerate(model.labels)}
    for item in known:
        for lab in item.labels:
            if lab in index:
                counts[index[lab]] += 1
    return counts


def _membership(labels: Sequence[Sequence[str]], index: Mapping[str, int], n: int,
                ) -> np.ndarray:
    """0/1 matrix: row i marks the themes of item i."""
    out = np.zeros((len(labels), n))
    for i, labs in enumerate(labels):
        for lab in labs:
            if lab in index:
                out[i, index[lab]] = 1.0
    return out


def _theme_queries(model: ThemeModel, known: Sequence[Known],
                   base_rows: sp.csr_matrix | None, base_labels: Sequence[Sequence[str]],
                   ) -> sp.csr_matrix:
    """One unit vector per theme: the mean of its description and its known members.

    The description is the theme's taxonomy name, covers and terms (the pseudo-document the
    trainer also uses); members are stored training examples and saved corrections.
    """
    tax = load_taxonomy()
    fs = model.features.settings
    weight = fs.title_weight
    index = {lab: j for j, lab in enumerate(model.labels)}
    n = len(model.labels)
    # rows[k] are unit TF-IDF rows of members; parts[k] says which themes each row belongs to.
    rows: list[sp.csr_matrix] = []
    parts: list[np.ndarray] = []
    docs, owners = [], []
    for j, lab in enumerate(model.labels):
        theme = tax.get(lab)
        if theme is not None:
            docs.append(compose(theme.zh, theme.covers + "。" + "、".join(theme.terms), weight)[0])
            owners.append(j)
    if docs:
        rows.append(_unit_rows(model.features.transform(docs)))
        parts.append(np.eye(n)[owners])
    if known:
        rows.append(_unit_rows(model.features.transform(
            [compose(k.title, k.text, weight, read_chars=fs.read_chars)[0] for k in known])))
        parts.append(_membership([k.labels for k in known], index, n))
    if base_rows is not None and base_rows.shape[0]:
        rows.append(_unit_rows(base_rows))
        parts.append(_membership(base_labels, index, n))
    if not rows:
        return sp.csr_matrix((n, model.features.n_features))
    member = np.vstack(parts)
    # Each theme's members averaged (the description counts as one member), then unit length.
    sizes = member.sum(axis=0)
    sizes[sizes == 0] = 1.0
    mean = sp.csr_matrix(member.T / sizes[:, None]) @ sp.vstack(rows, format="csr")
    return _unit_rows(mean)


def _stored(model_dir: str | None) -> StoredExamples | None:
    """The model's stored training examples (None when there are none to read)."""
    if model_dir is None:
        return None
    from classifier.model.store import load_examples

    try:
        return load_examples(model_dir)
    except ModelError:
        return None


def _not_trained_on(articles: Sequence[Article],
                    stored: StoredExamples | None) -> Sequence[Article]:
    """``articles`` without those the model was trained on (its stored example ids): their
    labels are known already."""
    if stored is None:
        return articles
    trained = set(stored.ids)
    kept = [a for a in articles if a.key not in trained]
    if len(kept) < len(articles):
        log.info("left out %d articles the model was trained on", len(articles) - len(kept))
    return kept


def _stored_rows(model: ThemeModel, stored: StoredExamples | None,
                 ) -> tuple[sp.csr_matrix | None, list[list[str]]]:
    """The model's stored training examples as TF-IDF rows (None when unavailable)."""
    if stored is None:
        return None, []
    if stored.counts.shape[1] != model.features.n_features:
        return None, []  # examples of another vocabulary: not comparable
    return model.features.weigh(stored.counts).to_scipy(), stored.labels


def _sketch(x: sp.csr_matrix, dims: int = SKETCH_DIMS, seed: int = 0) -> np.ndarray:
    """Dense (n, dims) count sketch of unit rows: each feature adds +-its value to one seeded
    bucket, so dot products are kept in expectation (error ~ 1/sqrt(dims) for unit rows)."""
    rng = np.random.default_rng(seed)
    n_features = x.shape[1]
    hashing = sp.csr_matrix((rng.choice(np.array([-1.0, 1.0], dtype=np.float32), n_features),
                             (np.arange(n_features), rng.integers(0, dims, n_features))),
                            shape=(n_features, dims))
    return np.asarray((x @ hashing).toarray(), dtype=np.float32)


def _pick_diverse(score: np.ndarray, x: sp.csr_matrix, n: int, weight: float) -> list[int]:
    """Greedy: best score minus ``weight`` x likeness to the picks; near-duplicates never.

    Up to ``EXACT_PICKS`` picks (what ``suggest`` is asked for) use exact cosines (a few ms a
    pick on 1,000 candidates). A longer ranking (the review queue) takes the penalty from a
    count sketch of the rows (one Gram matrix of the head: 1,000 picks in under a second,
    where a product per pick took 9 s) and decides near-duplicates on exact cosines, computed
    only for the few the sketch puts near the line.
    """
    order = np.argsort(-score, kind="stable")
    head = order[:DIVERSE_HEAD]
    cand = x[head]
    # One matrix product for every pair of the head (BLAS, a fraction of a second for 1,000),
    # instead of a product per pick, which is bound by memory speed.
    gram = None
    if n > EXACT_PICKS:
        sketch = _sketch(cand)
        gram = sketch @ sketch.T
    best_sim = np.zeros(head.shape[0])
    alive = np.ones(head.shape[0], dtype=bool)
    picked: list[int] = []
    while len(picked) < n and alive.any():
        adjusted = np.where(alive, score[head] - weight * best_sim, -np.inf)
        k = int(np.argmax(adjusted))
        picked.append(int(head[k]))
        alive[k] = False
        if gram is None:
            sim = np.asarray(cand @ cand[k].toarray().ravel()).ravel()
            alive &= sim < NEAR_DUPLICATE
        else:
            sim = gram[k]
            close = np.flatnonzero(alive & (sim >= NEAR_DUPLICATE - SKETCH_MARGIN))
            if close.size:
                exact = np.asarray(cand[close] @ cand[k].toarray().ravel()).ravel()
                alive[close[exact >= NEAR_DUPLICATE]] = False
        best_sim = np.maximum(best_sim, sim)
    if len(picked) < n:
        # Only near-duplicates (and articles past the head) are left: they come last, in score
        # order, so a full ranking (the review queue) still holds every article.
        chosen = set(picked)
        picked.extend(int(i) for i in order if int(i) not in chosen)
    return picked[:n]


@dataclass(frozen=True)
class _Scored:
    """Per-article numbers every strategy draws on."""

    proba: np.ndarray  # (n, n_labels)
    closeness: np.ndarray  # (n, n_labels)
    likeness: np.ndarray  # (n, n_labels) cosine to each theme's query, times its rarity
    x: sp.csr_matrix  # unit TF-IDF rows


def _score(articles: Sequence[Article], model: ThemeModel, known: Sequence[Known],
           stored: StoredExamples | None) -> _Scored:
    probas, rows = [], []
    # In chunks, so that only the unit rows of all articles stay in memory.
    for start in range(0, len(articles), SCORE_CHUNK):
        part = articles[start:start + SCORE_CHUNK]
        proba, x = model.predict_proba_many([(a.title, a.text) for a in part], normalized=True)
        probas.append(proba)
        rows.append(_unit_rows(x))
    proba = np.vstack(probas)
    x = sp.vstack(rows, format="csr")
    base_rows, base_labels = _stored_rows(model, stored)
    queries = _theme_queries(model, known, base_rows, base_labels).toarray()
    counts = _theme_counts(model, known)
    # A theme with k examples weighs 1/sqrt(1 + k/10): rare themes pull, common ones barely.
    rarity = 1.0 / np.sqrt(1.0 + counts / 10.0)
    likeness = np.asarray(x @ queries.T, dtype=np.float64) * rarity[None, :]
    return _Scored(proba, _closeness(proba, model.thresholds), likeness, x)


def _column_ranks(values: np.ndarray) -> np.ndarray:
    """``_ranks`` of each column."""
    return np.column_stack([_ranks(values[:, j]) for j in range(values.shape[1])])


def _why(strategy: str, i: int, s: _Scored, model: ThemeModel,
         ranks: tuple[np.ndarray, np.ndarray] | None) -> tuple[str, str]:
    """(reason, theme) for one pick, in words a reviewer understands.

    ``ranks``: column ranks of (closeness, likeness), for ``combined`` to say which of the two
    put the article forward.
    """
    j_close = int(np.argmax(s.closeness[i]))
    j_like = int(np.argmax(s.likeness[i]))
    use_like = strategy == "rare" or (
        strategy == "combined" and ranks is not None and s.likeness[i, j_like] > 0
        and ranks[1][i, j_like] > ranks[0][i, j_close])
    if strategy == "random":
        return "random pick (baseline)", ""
    if use_like:
        lab = model.labels[j_like]
        return (f"looks like the few known examples of {lab} (likeness "
                f"{s.likeness[i, j_like]:.2f}, score {s.proba[i, j_like]:.2f})", lab)
    lab = model.labels[j_close]
    thr = float(model.thresholds[j_close])
    if s.closeness[i, j_close] >= 0.5:  # within logit 0.7 of the decision point
        return (f"{lab} score {s.proba[i, j_close]:.2f} is near its decision point {thr:.2f}",
                lab)
    return (f"the model's closest call here: {lab} score {s.proba[i, j_close]:.2f} "
            f"(decision point {thr:.2f})", lab)


def rank_articles(articles: Sequence[Article], model: ThemeModel, *, n: int,
                  strategy: str = DEFAULT_STRATEGY, known: Sequence[Known] = (),
                  model_dir: str | None = None, seed: int = 0) -> list[Suggestion]:
    """The ``n`` articles most useful to label next, most useful first (see module doc).

    ``known``: corrections already saved (their themes count as examples; their articles are
    members of their themes). ``model_dir``: where the model's stored examples are read from,
    for the ``rare`` part. Raises ``OptionError`` for an unknown strategy or ``n < 0``.
    """
    if strategy not in STRATEGIES:
        raise OptionError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise OptionError(f"n must be a whole number >= 0, got {n!r}")
    if not articles or n == 0:
        return []
    stored = _stored(model_dir)
    articles = _not_trained_on(articles, stored)
    if not articles:
        return []
    s = _score(articles, model, known, stored)
    count = min(n, len(articles))
    uncertainty = s.closeness.max(axis=1)
    likeness = s.likeness.max(axis=1)
    if strategy == "random":
        picks = [int(i) for i in np.random.default_rng(seed).permutation(len(articles))[:count]]
    elif strategy == "uncertainty":
        picks = [int(i) for i in np.argsort(-uncertainty, kind="stable")[:count]]
    elif strategy == "rare":
        picks = _pick_diverse(_ranks(likeness), s.x, count, DIVERSITY_WEIGHT)
    elif strategy == "diverse":
        picks = _pick_diverse(_ranks(uncertainty), s.x, count, DIVERSITY_WEIGHT)
    else:
        mixed = (_ranks(uncertainty) + _ranks(likeness)) / 2.0
        picks = _pick_diverse(mixed, s.x, count, DIVERSITY_WEIGHT)
    value = {"uncertainty": uncertainty, "rare": likeness, "diverse": uncertainty,
             "random": np.zeros(len(articles))}.get(
        strategy, (_ranks(uncertainty) + _ranks(likeness)) / 2.0)
    ranks = ((_column_ranks(s.closeness), _column_ranks(s.likeness))
             if strategy == "combined" else None)
    assigned = model.decide(s.proba[picks])  # one call for the picks, row k for picks[k]
    out = []
    for k, i in enumerate(picks):
        article = articles[i]
        why, theme = _why(strategy, i, s, model, ranks)
        p = s.proba[i]
        labels = [model.labels[j] for j in np.argsort(-p, kind="stable") if assigned[k, j]]
        out.append(Suggestion(id=article.key, title=article.title, source=article.source,
                              article=article.index, why=why, theme=theme,
                              value=float(value[i]), labels=labels,
                              scores={lab: round(float(p[j]), 6)
                                      for j, lab in enumerate(model.labels)}))
    return out


def suggest(inputs: Iterable[str], *, n: int, model: str = "default",
            strategy: str = DEFAULT_STRATEGY, exclude: Iterable[str] = (),
            glob: str = "*.txt", split: bool = True, max_bytes: int = 20 * 1024 * 1024,
            seed: int = 0) -> tuple[list[Suggestion], list[Any]]:
    """Read inputs as ``label`` does and rank them: (suggestions, failures).

    ``exclude``: corrections files whose ids are left out (and whose labels inform the
    ``rare`` part). Raises ``ModelError``, ``OptionError``; unreadable inputs are returned as
    failures.
    """
    from classifier.model.store import load_model, resolve_model_dir
    from classifier.review.corrections import read_corrections
    from classifier.review.inputs import read_inputs

    if strategy not in STRATEGIES:
        raise OptionError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    model_dir = resolve_model_dir(model)
    theme_model = load_model(model_dir)
    known: dict[str, Known] = {}
    for path in exclude:
        for row in read_corrections(path):
            known[row["id"]] = Known(row["title"], row["text"], tuple(row["labels"]))
    articles, failures = read_inputs(inputs, glob=glob, split=split, max_bytes=max_bytes)
    fresh = [a for a in articles if a.key not in known]
    ranked = rank_articles(fresh, theme_model, n=n, strategy=strategy,
                           known=list(known.values()), model_dir=str(model_dir), seed=seed)
    return ranked, failures

