"""Taxonomy term hits: how often each theme's typical terms occur in an article.

The model's combiner (``classifier.model.theme_model``) turns these counts into per-theme
evidence, so a theme with few labelled examples can still fire on its taxonomy terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np

__all__ = ["CONTEXT_TERMS", "context_gate", "lexicon_counts", "lexicon_features"]

# Words that make an article a union article (issue 11). Taxonomy terms such as 运动会 or 书画
# mean workers' culture in a local union report but not in a general culture story, and the
# training text (People's Daily, CCTV) is full of the latter: the term prior applies only
# where these words occur often enough (``context_gate``).
CONTEXT_TERMS = ("工会", "职工")

_SECOND = itemgetter(1)  # the value (distinct term) of an automaton hit (end, value)


def lexicon_counts(docs: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Occurrences of each term in each (normalized) text: shape (n_docs, n_terms).

    A term counts as ``str.count`` does (non-overlapping). All terms are found in one pass per
    text with an Aho-Corasick automaton, instead of one scan of the text per term, and counted
    for all texts at once; a term that can overlap itself (``助学救助``) is recounted with
    ``str.count`` where it was found twice.
    """
    if not terms:
        # A label set without taxonomy terms (THUCNews, a desk's own labels): no evidence
        # columns. pyahocorasick cannot search with an empty automaton (issue 11).
        return np.zeros((len(docs), 0), dtype=np.float32)
    lexicon = _lexicon(tuple(terms))
    n_distinct = len(lexicon.distinct)
    lowered = [doc.lower() for doc in docs]
    found: list[int] = []  # the distinct term of every occurrence, document after document
    ends = np.zeros(len(docs) + 1, dtype=np.int64)
    for i, low in enumerate(lowered):
        found.extend(map(_SECOND, lexicon.automaton.iter(low)))  # C-level: no loop per hit
        ends[i + 1] = len(found)
    # doc * n_distinct + distinct term, per occurrence
    cells = np.asarray(found, dtype=np.int64)
    cells += np.repeat(np.arange(len(docs), dtype=np.int64) * n_distinct, np.diff(ends))
    hits = np.bincount(cells, minlength=len(docs) * n_distinct)
    out = hits.reshape(len(docs), n_distinct)[:, lexicon.term_of_column].astype(np.float32)
    for j in lexicon.overlapping:
        for i in np.flatnonzero(out[:, j] > 1).tolist():
            out[i, j] = lowered[i].count(terms[j])
    return out


@dataclass(frozen=True)
class _Lexicon:
    automaton: Any  # ahocorasick.Automaton: term -> its index in ``distinct``
    distinct: tuple[str, ...]  # the distinct terms
    term_of_column: np.ndarray  # column -> index of its term in ``distinct``
    overlapping: tuple[int, ...]  # columns whose term has a border (can overlap itself)


@lru_cache(maxsize=8)
def _lexicon(terms: tuple[str, ...]) -> _Lexicon:
    import ahocorasick  # lazy: only prediction needs it

    for j, term in enumerate(terms):
        if not term:
            raise ValueError(f"empty term at column {j} of the lexicon")
    distinct = tuple(dict.fromkeys(terms))
    index = {term: t for t, term in enumerate(distinct)}
    automaton = ahocorasick.Automaton()
    for term, t in index.items():
        automaton.add_word(term, t)
    automaton.make_automaton()
    term_of_column = np.asarray([index[term] for term in terms], dtype=np.intp)
    overlapping = tuple(j for j, t in enumerate(terms)
                        if any(t[:n] == t[-n:] for n in range(1, len(t))))
    return _Lexicon(automaton, distinct, term_of_column, overlapping)


def lexicon_features(body_hits: np.ndarray, title_hits: np.ndarray,
                     groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Per-theme term evidence, shape (n_docs, n_themes, 3).

    For each theme (a group of term columns): log(1 + occurrences), number of distinct terms
    present (capped at 3) and whether a term is in the title. The combiner learns one weight
    per feature shared by all themes, so themes with few examples borrow strength.
    """
    n = body_hits.shape[0]
    out = np.zeros((n, len(groups), 3), dtype=np.float64)
    if not groups or body_hits.shape[1] == 0:
        return out
    # All themes at once through a 0/1 membership matrix (a loop of small array operations
    # per theme cost ~0.5 ms a page, issue 14). The hits are counts: their float32 sums are
    # exact whatever the order, so the features are those of summing theme by theme.
    member = _membership(tuple(tuple(g) for g in groups), body_hits.shape[1])
    out[:, :, 0] = np.log1p(body_hits.astype(np.float32) @ member)
    out[:, :, 1] = np.minimum((body_hits > 0).astype(np.float32) @ member, 3)
    out[:, :, 2] = (title_hits.astype(np.float32) @ member) > 0
    return out


def context_gate(body_hits: np.ndarray, columns: Sequence[int], minimum: int) -> np.ndarray:
    """(n_docs,) float64: 1 where the context term columns occur ``minimum`` times or more in
    all, else 0; all ones when there is no context (no columns or ``minimum`` 0)."""
    if not len(columns) or minimum <= 0:
        return np.ones(body_hits.shape[0], dtype=np.float64)
    total = body_hits[:, np.asarray(columns, dtype=np.intp)].sum(axis=1)
    return (total >= minimum).astype(np.float64)


@lru_cache(maxsize=8)
def _membership(groups: tuple[tuple[int, ...], ...], n_terms: int) -> np.ndarray:
    """(n_terms, n_groups) float32: 1 where a term column belongs to a group."""
    member = np.zeros((n_terms, len(groups)), dtype=np.float32)
    for t, cols in enumerate(groups):
        member[list(cols), t] = 1.0
    return member
