"""Taxonomy term hits: how often each theme's typical terms occur in an article.

The model's combiner (``classifier.model``) turns these counts into per-theme evidence, so a
theme with few labelled examples can still fire on its taxonomy terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["lexicon_counts", "lexicon_features"]


def lexicon_counts(docs: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Occurrences of each term in each (normalized) text: shape (n_docs, n_terms).

    A term counts as ``str.count`` does (non-overlapping). All terms are found in one pass per
    text with an Aho-Corasick automaton, instead of one scan of the text per term; a term that
    can overlap itself (``助学救助``) is recounted with ``str.count`` when found twice.
    """
    out = np.zeros((len(docs), len(terms)), dtype=np.float32)
    lexicon = _lexicon(tuple(terms))
    for i, doc in enumerate(docs):
        low = doc.lower()
        row = out[i]
        for _, cols in lexicon.automaton.iter(low):
            row[cols] += 1
        for j in lexicon.overlapping:
            if row[j] > 1:
                row[j] = low.count(terms[j])
    return out


@dataclass(frozen=True)
class _Lexicon:
    automaton: Any  # ahocorasick.Automaton: term -> the columns that hold it
    overlapping: tuple[int, ...]  # columns whose term has a border (can overlap itself)


@lru_cache(maxsize=8)
def _lexicon(terms: tuple[str, ...]) -> _Lexicon:
    import ahocorasick  # lazy: only prediction needs it

    columns: dict[str, list[int]] = {}
    for j, term in enumerate(terms):
        if not term:
            raise ValueError(f"empty term at column {j} of the lexicon")
        columns.setdefault(term, []).append(j)
    automaton = ahocorasick.Automaton()
    for term, cols in columns.items():
        automaton.add_word(term, np.asarray(cols, dtype=np.intp))
    automaton.make_automaton()
    overlapping = tuple(j for j, t in enumerate(terms)
                        if any(t[:n] == t[-n:] for n in range(1, len(t))))
    return _Lexicon(automaton, overlapping)


def lexicon_features(body_hits: np.ndarray, title_hits: np.ndarray,
                     groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Per-theme term evidence, shape (n_docs, n_themes, 3).

    For each theme (a group of term columns): log(1 + occurrences), number of distinct terms
    present (capped at 3) and whether a term is in the title. The combiner learns one weight
    per feature shared by all themes, so themes with few examples borrow strength.
    """
    n = body_hits.shape[0]
    out = np.zeros((n, len(groups), 3), dtype=np.float64)
    for t, cols in enumerate(groups):
        if not cols:
            continue
        b = body_hits[:, cols]
        out[:, t, 0] = np.log1p(b.sum(axis=1))
        out[:, t, 1] = np.minimum((b > 0).sum(axis=1), 3)
        out[:, t, 2] = (title_hits[:, cols].sum(axis=1) > 0)
    return out
