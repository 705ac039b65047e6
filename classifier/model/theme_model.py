"""ThemeModel: linear one-vs-rest scores + taxonomy term evidence -> probabilities, labels, why.

For theme t and a document: ``s_t = x . coef_t + intercept_t`` (TF-IDF features, fitted by
``classifier.training``), then ``p_t = sigmoid(a * s_t + c . lex_t + b)`` where ``lex_t`` are
the theme's term-hit features (``lexicon.lexicon_features``) and (a, c, b) are fitted on
cross-validated scores: shared by all themes, or (issue 11, ``theme_combiner``) one row per
theme shrunk toward the shared one, so a theme with two labelled examples still fires on its
taxonomy terms while a theme with many examples weighs its terms as its data says. A theme is
predicted when ``p_t >= threshold_t``; a calibrated model has every threshold at 0.5 (each
theme's tuned threshold folded into its row), so scores compare across themes.

Prediction needs numpy only: no scikit-learn (issue 3) and no scipy (issue 14) import, for a
fast start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classifier.errors import OptionError
from classifier.features.lexicon import context_gate, lexicon_counts, lexicon_features
from classifier.features.rows import Rows
from classifier.features.space import FeatureSpace, compose
from classifier.features.wordcounts import WordTable
from classifier.summary.keyterms import KeywordScorer
from classifier.summary.readable import byline_names, readable_in
from classifier.text.normalize import normalize_text

__all__ = ["Prediction", "ThemeModel"]


@dataclass(frozen=True)
class Prediction:
    """Themes of one article: predicted labels (best first), every score, and evidence."""

    labels: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[list[Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "labels": list(self.labels),
            "scores": dict(self.scores),
            "evidence": {k: [list(p) for p in v] for k, v in self.evidence.items()},
        }


def _by_weight(item: tuple[str, float]) -> tuple[float, str]:
    return (-item[1], item[0])


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_values)`` for an ascending array (a row's columns): a binary
    search, and no ``np.unique``, whose plain form imports ``numpy.ma`` (~20 ms of a
    one-page ``classify``, issue 14)."""
    if not sorted_values.shape[0]:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), sorted_values.shape[0] - 1)
    return np.asarray(sorted_values[at] == values)


def top_one(proba: np.ndarray) -> np.ndarray:
    """(n, k) 0/1: each row's best-scoring column (the first of ties) and nothing else."""
    out = np.zeros(proba.shape, dtype=np.int8)
    if proba.shape[0] and proba.shape[1]:
        out[np.arange(proba.shape[0]), np.argmax(proba, axis=1)] = 1
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


# A clear call, in a calibrated model's scores (decision point 0.5): a later part of a long
# union article adds a theme it scores this high, and a theme this high never yields to
# another (issue 11, round 5).
CLEAR_SCORE = 0.9
# A union article longer than the model reads is read on in parts of the same length: a later
# part adds a theme when it scores this far past the theme's decision point, in log-odds
# (logit 0.9 - logit 0.5), and is at least TAIL_MIN_CHARS long (a shorter remainder says too
# little to judge).
TAIL_MARGIN = float(np.log(CLEAR_SCORE / (1.0 - CLEAR_SCORE)))
TAIL_MIN_CHARS = 200


@dataclass(frozen=True)
class _Tails:
    """The later parts read of long union articles: their feature rows, and for each theme a
    part raised, the part that raised it ((article, theme) -> row of ``x``)."""

    x: Rows
    raised: dict[tuple[int, int], int]


class ThemeModel:
    """A fitted theme classifier (see module docstring). Build with ``classifier.train`` or
    ``classifier.load_model``."""

    def __init__(self, *, labels: list[str], names: dict[str, dict[str, str]],
                 features: FeatureSpace, coef: np.ndarray, intercept: np.ndarray,
                 combiner: np.ndarray, thresholds: np.ndarray, terms: list[str],
                 term_groups: list[list[int]], meta: dict[str, Any] | None = None,
                 prior_mask: np.ndarray | None = None,
                 theme_combiner: np.ndarray | None = None) -> None:
        self.labels = list(labels)
        self.names = names
        self.features = features
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.combiner = np.asarray(combiner, dtype=np.float64)  # [a, c0, c1, c2, b]
        # (n_labels, len(combiner)): one combiner row per theme, used instead of the shared
        # one when present (issue 11).
        self.theme_combiner = (None if theme_combiner is None
                               else np.asarray(theme_combiner, dtype=np.float64))
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.terms = list(terms)
        self.term_groups = [list(g) for g in term_groups]
        self.meta: dict[str, Any] = dict(meta or {})
        # Themes whose score may be raised by the taxonomy term prior (few training examples).
        self.prior_mask = (np.ones(len(self.labels), dtype=bool) if prior_mask is None
                           else np.asarray(prior_mask, dtype=bool))
        # The term columns whose hits make an article a union article, and how many it takes
        # for the term prior to apply (issue 11; models before it have none: always applies).
        context = self.meta.get("term_context") or {}
        self.context_columns = [int(c) for c in context.get("columns", [])]
        self.context_min = int(context.get("min", 0))
        if any(not 0 <= c < len(self.terms) for c in self.context_columns) \
                or self.context_min < 0:
            raise ValueError(f"term_context {context!r} does not fit {len(self.terms)} terms")
        # Trained on examples with exactly one label each (categories such as THUCNews'):
        # every article gets its best label, however low its score (``decide``).
        self.single_label = self.meta.get("single_label") is True
        # Theme -> the themes it yields to (the taxonomy's ``not``; ``_yield``).
        index = {lab: j for j, lab in enumerate(self.labels)}
        yields = self.meta.get("yields") or {}
        if not isinstance(yields, dict) or any(
                lab not in index or not isinstance(others, list)
                or any(other not in index or other == lab for other in others)
                for lab, others in yields.items()):
            raise ValueError(f"yields {yields!r} does not fit the labels {self.labels}")
        self.yields = [(index[lab], [index[other] for other in others])
                       for lab, others in yields.items()]
        self._coef_t = np.ascontiguousarray(self.coef.T)
        self._keyword_scorer: KeywordScorer | None = None

    @property
    def calibrated(self) -> bool:
        """Whether every theme's decision point is 0.5 (scores compare across themes)."""
        return bool(np.all(self.thresholds == 0.5))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """(n, n_labels) 0/1 assignments for probabilities (n, n_labels): the themes at or
        over their thresholds, or, for a single-label model, each article's best label."""
        if self.single_label:
            return top_one(proba)
        return (proba >= self.thresholds).astype(np.int8)

    # -- scoring -----------------------------------------------------------------------------
    def linear_scores(self, x: Rows) -> np.ndarray:
        """Raw one-vs-rest margins, shape (n_docs, n_labels)."""
        return x.dot(self._coef_t) + self.intercept

    def combine(self, margins: np.ndarray, lex: np.ndarray,
                gate: np.ndarray | None = None) -> np.ndarray:
        """Probabilities from margins and term-hit features (n_docs, n_labels, 3).

        ``combiner`` is ``[a, c0, c1, c2, b]`` or, with a taxonomy prior,
        ``[a, c0, c1, c2, b, d0, d1, d2, e]``: the prior ``sigmoid(d . lex + e)`` judges a theme
        by its terms alone, and for the themes in ``prior_mask`` (those with few training
        examples, whose margins are weak) the score is the larger of the two: their terms
        speak for them, which matters on union pages, which read differently from the
        People's Daily training text. With ``theme_combiner`` each theme uses its own row
        (same layout) instead of the shared ``combiner``. ``gate`` (n_docs,) 0/1: where it is
        0 (not a union article, ``context_gate``) the prior does not apply.
        """
        # Row j of ``theme_combiner`` is theme j's combiner; the shared one broadcasts.
        cmb = self.combiner[None, :] if self.theme_combiner is None else self.theme_combiner
        a, c0, c1, c2, b = (cmb[:, k] for k in range(5))
        z = a * margins + c0 * lex[:, :, 0] + c1 * lex[:, :, 1] + c2 * lex[:, :, 2] + b
        proba = _sigmoid(z)
        if cmb.shape[1] == 9:
            d0, d1, d2, e = (cmb[:, k] for k in range(5, 9))
            prior = _sigmoid(d0 * lex[:, :, 0] + d1 * lex[:, :, 1] + d2 * lex[:, :, 2] + e)
            if gate is not None:
                prior = prior * gate[:, None]
            proba = np.where(self.prior_mask, np.maximum(proba, prior), proba)
        return proba

    def lexicon(self, docs: Sequence[str], titles: Sequence[str],
                ) -> tuple[np.ndarray, np.ndarray]:
        """(term-hit features, context gate) of composed documents and their normalized
        titles."""
        body = lexicon_counts(docs, self.terms)
        head = lexicon_counts(titles, self.terms)
        return (lexicon_features(body, head, self.term_groups),
                context_gate(body, self.context_columns, self.context_min))

    def predict_proba_many(self, items: Sequence[tuple[str, str]], *, normalized: bool = False,
                           words: WordTable | None = None,
                           ) -> tuple[np.ndarray, Rows]:
        """(probabilities (n, n_labels), feature matrix of the heads) for (title, text) pairs.

        The scores are the ones every output shows: long union articles read on past the
        head (``_read_tails``) and themes yielded to the themes their ``not`` names
        (``_yield``). ``words``: the ``WordTable`` of the normalized titles and texts, when
        the caller has it already (labelling shares it with the keywords).
        """
        _, proba, x, _ = self._score(items, normalized=normalized, words=words)
        return proba, x

    def _score(self, items: Sequence[tuple[str, str]], *, normalized: bool,
               words: WordTable | None = None,
               ) -> tuple[Sequence[tuple[str, str]], np.ndarray, Rows, _Tails | None]:
        """``predict_proba_many`` with the items normalized (once, here, unless they are)
        and the later parts of long union articles it read."""
        if not normalized:
            items = [(normalize_text(t), normalize_text(x)) for t, x in items]
        proba, x, gate = self._score_heads(items, words=words)
        tails = self._read_tails(items, gate, proba)
        self._yield(proba)
        return items, proba, x, tails

    def _yield(self, proba: np.ndarray) -> None:
        """Where the taxonomy files an article under another theme, let that theme have it:
        in place, theme A's score becomes at most 1 - the score of a theme B its ``not`` names
        (worker_welfare: "help targeted at registered hardship households" is
        hardship_relief) when B scores higher than A and A is no clear call (< CLEAR_SCORE).

        So a 金秋助学 report scored worker_welfare 0.80 and hardship_relief 1.00 is
        hardship_relief alone, and a score still means the same for every theme: assigned
        from 0.5. Measured on five checks, each up or level (docs/CLASSIFIER.md, round 5).
        Only calibrated multi-label models (every decision point 0.5) yield; every condition
        reads the scores before any theme yielded, so the order of the pairs does not matter.
        """
        if not self.yields or self.single_label or not self.calibrated:
            return
        before = proba.copy()
        for a, others in self.yields:
            for b in others:
                yields = (before[:, b] > before[:, a]) & (before[:, a] < CLEAR_SCORE)
                proba[yields, a] = np.minimum(proba[yields, a], 1.0 - before[yields, b])

    def _score_heads(self, items: Sequence[tuple[str, str]], *,
                     words: WordTable | None = None,
                     gate: np.ndarray | None = None) -> tuple[np.ndarray, Rows, np.ndarray]:
        """(probabilities, feature rows, union gate) of the first ``read_chars`` characters
        of normalized items; ``gate`` given: that gate instead of each text's own."""
        fs = self.features.settings
        pairs = [compose(t, x, fs.title_weight, normalized=True, read_chars=fs.read_chars)
                 for t, x in items]
        docs = [d for d, _ in pairs]
        x = self.features.transform(docs, words)
        lex, own_gate = self.lexicon(docs, [h for _, h in pairs])
        gate = own_gate if gate is None else gate
        return self.combine(self.linear_scores(x), lex, gate), x, gate

    def _read_tails(self, items: Sequence[tuple[str, str]], gate: np.ndarray,
                    proba: np.ndarray) -> _Tails | None:
        """Read on past ``read_chars`` in long union articles; raise ``proba`` in place where a
        later part clearly carries a theme (see ``TAIL_MARGIN``).

        Why only union articles: the labels of the People's Daily training text were made from
        its first 1,800 characters (a long commentary that mentions 稳就业 throughout is not
        about employment services), while a union paper's long feature takes its themes in
        turn, one section each, and a union desk reads it whole. Read on, the People's Daily
        holdout is unchanged (its long articles are not union articles) and the union seed
        page's main story finds the three themes of its second half (docs/CLASSIFIER.md,
        round 5). A model without union context terms (a desk's own categories) or a
        single-label model reads the head only, as it was trained.
        """
        limit = self.features.settings.read_chars
        if not limit or not self.context_columns or self.single_label:
            return None
        owners: list[int] = []
        parts: list[tuple[str, str]] = []
        for i, (title, text) in enumerate(items):
            if not gate[i] or len(text) <= limit:
                continue
            for start in range(limit, len(text), limit):
                part = text[start:start + limit]
                if len(part) >= TAIL_MIN_CHARS:
                    owners.append(i)
                    parts.append((title, part))
        if not parts:
            return None
        # A part is read as the article it belongs to: a union article (its own 工会/职工 count
        # may fall short).
        part_proba, part_x, _ = self._score_heads(parts, gate=np.ones(len(parts)))
        t = np.clip(self.thresholds, 1e-9, 1.0 - 1e-9)  # a point at 0 or 1 has no logit
        point = _sigmoid(np.log(t / (1.0 - t)) + TAIL_MARGIN)
        raised: dict[tuple[int, int], int] = {}
        for row, i in enumerate(owners):
            for j in np.flatnonzero(part_proba[row] >= point).tolist():
                if part_proba[row, j] > proba[i, j]:
                    proba[i, j] = part_proba[row, j]
                    raised[(i, j)] = row
        return _Tails(part_x, raised) if raised else None

    # -- public API --------------------------------------------------------------------------
    def predict(self, title: str, text: str, top_terms: int = 5) -> Prediction:
        """Themes of one article."""
        return self.predict_many([(title, text)], top_terms=top_terms)[0]

    def predict_many(self, items: Sequence[tuple[str, str]], top_terms: int = 5, *,
                     normalized: bool = False, words: WordTable | None = None,
                     explain_unassigned: int = 0) -> list[Prediction]:
        """Themes of many (title, text) articles at once (vectorized sparse ops).

        ``normalized=True``: titles and texts already went through ``normalize_text`` (true of
        every ``Article``), so it is not run again. ``words``: see ``predict_proba_many``.
        Evidence is given for the assigned themes and, with ``explain_unassigned`` N, for the
        N best-scoring themes that were not assigned too (what raised a near miss). Raises
        ``OptionError`` for a negative ``explain_unassigned``.
        """
        if isinstance(explain_unassigned, bool) or not isinstance(explain_unassigned, int) \
                or explain_unassigned < 0:
            raise OptionError(f"explain_unassigned must be a whole number >= 0, got "
                              f"{explain_unassigned!r}")
        if not items:
            return []
        items, proba, x, tails = self._score(items, normalized=normalized, words=words)
        assigned = self.decide(proba)
        out = []
        for i in range(proba.shape[0]):
            p = proba[i]
            ranked = np.argsort(-p, kind="stable")
            chosen = [j for j in ranked if assigned[i, j]]
            labels = [self.labels[j] for j in chosen]
            explained = chosen + [j for j in ranked if not assigned[i, j]][:explain_unassigned]
            scores = {lab: round(float(p[j]), 6) for j, lab in enumerate(self.labels)}
            title, text = items[i]
            # Evidence is read by people: no fragments, generic words, counters or byline
            # names (issue 11; summary.readable).
            article = (title, text, byline_names(text)) if explained else None
            evidence = {self.labels[j]: self._explain_in(x, tails, i, j, top_terms, article)
                        for j in explained}
            out.append(Prediction(labels=labels, scores=scores, evidence=evidence))
        return out

    def _explain_in(self, x: Rows, tails: _Tails | None, row: int, label: int, k: int,
                    article: tuple[str, str, frozenset[str]] | None) -> list[list[Any]]:
        """Evidence from the part of the article that gave the theme its score: a later
        part when it raised the theme (``_read_tails``), else the head."""
        if tails is not None and (row, label) in tails.raised:
            return self._explain(tails.x, tails.raised[(row, label)], label, k, article)
        return self._explain(x, row, label, k, article)

    def _explain(self, x: Rows, row: int, label: int, k: int,
                 article: tuple[str, str, frozenset[str]] | None = None) -> list[list[Any]]:
        """Top terms by coef x tf-idf; a word and the same-looking char n-gram are merged.

        Words of two or more characters come first: a single character or a bigram that
        straddles two words (``难职`` from 困难职工) explains nothing to a reader, so such
        n-grams only fill the list when too few words contributed. With ``article`` (its
        normalized title, text and byline names) only terms readable there are listed.
        """
        if k <= 0:
            return []
        lo, hi = x.indptr[row], x.indptr[row + 1]
        cols, vals = x.indices[lo:hi], x.data[lo:hi]
        contrib = vals * self.coef[label, cols]
        pos = contrib > 0
        # Columns are sorted, so a word's weight is added before its n-gram twin's.
        keys, where = np.unique(self.features.term_keys(cols[pos]), return_inverse=True)
        weights = np.bincount(where, weights=contrib[pos], minlength=keys.shape[0])
        readable = self.features.term_lengths(keys) >= 2
        is_word = keys < len(self.features.word_vocab)
        # A word whose own column is empty here was never cut as a word in this article: it
        # only shows through char n-grams inside longer words (工匠 in 工匠精神), a fragment.
        readable &= ~is_word | _in_sorted(keys, cols)
        best = self._top(keys, weights, readable & is_word, k, article, True)
        if len(best) < k:
            best += self._top(keys, weights, readable & ~is_word, k - len(best), article, None)
        return [[term, round(w, 4)] for term, w in best]

    def _top(self, keys: np.ndarray, weights: np.ndarray, mask: np.ndarray, k: int,
             article: tuple[str, str, frozenset[str]] | None = None,
             standalone: bool | None = None) -> list[tuple[str, float]]:
        """The ``k`` heaviest (term, weight) pairs under ``mask`` that are readable in
        ``article`` (when given; ``standalone``: see ``readable_in``); ties in term order."""
        idx = np.flatnonzero(mask)
        want = k
        while True:
            cand = idx
            if idx.shape[0] > want:  # only the terms that can make the top k need a sort
                cutoff = -np.partition(-weights[idx], want - 1)[want - 1]
                cand = idx[weights[idx] >= cutoff]
            pairs = sorted(((self.features.term(int(keys[i])), float(weights[i]))
                            for i in cand.tolist()), key=_by_weight)
            if article is not None:
                pairs = [p for p in pairs if readable_in(p[0], *article, standalone)]
            # Enough readable terms, or every term looked at: done; else look 4x further.
            if len(pairs) >= k or cand.shape[0] == idx.shape[0]:
                return pairs[:k]
            want *= 4

    def word_idf(self, word: str) -> float:
        """The model's IDF of a word (largest IDF for words it never saw)."""
        return self.features.idf_of_word(word)

    def keyword_scorer(self) -> KeywordScorer:
        """Keyword weights by this model's IDF, precomputed for its vocabulary (built once)."""
        if self._keyword_scorer is None:
            # The feature space's method, not ``self.word_idf``: a scorer holding a bound
            # method of the model would make a cycle that keeps every reloaded model alive
            # until a full GC (issue 15, item 15).
            self._keyword_scorer = KeywordScorer.for_vocabulary(
                self.features.word_index, self.features.idf_of_word, self.features.word_idf,
                self.features.unknown_idf, read_chars=self.features.settings.read_chars)
        return self._keyword_scorer

    def label_names(self) -> list[dict[str, str]]:
        """Labels with their Chinese and English names."""
        return [{"id": lab, **self.names.get(lab, {"zh": "", "en": ""})} for lab in self.labels]
