"""Word counts of articles: cut once, shared by the model's word features and the keywords.

``count_words`` counts one article's title and text words; ``WordTable`` lays the counts of a
batch of articles end to end as arrays, with each word's vocabulary column looked up once, so
that the feature matrix (``FeatureSpace.counts``) and the keywords
(``KeywordScorer.top_many``) are computed for the whole batch without a Python loop per word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from classifier.text.tokens import iter_words

__all__ = ["WordCounts", "WordTable", "count_words"]


@dataclass(frozen=True)
class WordCounts:
    """Word counts of one article.

    ``counts`` holds title and body words together, in first-seen order with the title's
    words first (the first ``len(title)`` keys are exactly the title's distinct words);
    ``title`` counts the title's words alone.
    """

    counts: dict[str, int]
    title: dict[str, int]


def count_words(title: str, text: str) -> WordCounts:
    """Cut a normalized title and text once and count their words."""
    head = Counter(iter_words(title)) if title else Counter()
    both = Counter(head)
    both.update(iter_words(text))
    return WordCounts(both, head)


@dataclass(frozen=True)
class WordTable:
    """The word counts of many articles end to end, one entry per distinct word of an article.

    Article ``d`` owns entries ``starts[d]:starts[d + 1]``: its words (``keys``) in
    first-seen order, title words first, with their title + body ``counts`` and ``title``
    counts. ``columns`` are the words' columns in ``vocabulary`` (-1: not in it), when a
    vocabulary was given.
    """

    keys: list[str]
    starts: np.ndarray
    counts: np.ndarray
    title: np.ndarray
    vocabulary: Mapping[str, int] | None = None
    columns: np.ndarray | None = None

    @classmethod
    def of(cls, word_counts: Sequence[WordCounts],
           vocabulary: Mapping[str, int] | None = None) -> WordTable:
        """Lay out ``word_counts``; look each word up in ``vocabulary`` (one C-level pass)."""
        keys: list[str] = []
        title: list[int] = []  # title counts only: they belong to each article's first keys
        title_len = np.zeros(len(word_counts), dtype=np.int64)
        starts = np.zeros(len(word_counts) + 1, dtype=np.int64)
        for i, wc in enumerate(word_counts):
            keys.extend(wc.counts)
            title.extend(wc.title.values())
            title_len[i] = len(wc.title)
            starts[i + 1] = len(keys)
        n = len(keys)
        counts = np.fromiter(chain.from_iterable(wc.counts.values() for wc in word_counts),
                             np.float64, n)
        # Entry of the j-th title word of article d: starts[d] + j.
        first = np.repeat(starts[:-1] - np.cumsum(title_len) + title_len, title_len)
        titles = np.zeros(n)
        titles[first + np.arange(len(title))] = title
        columns = None if vocabulary is None else _columns(keys, vocabulary)
        return cls(keys, starts, counts, titles, vocabulary, columns)

    def __len__(self) -> int:
        return int(self.starts.shape[0]) - 1

    def rows(self) -> np.ndarray:
        """The article (row) of every entry."""
        return np.repeat(np.arange(len(self)), np.diff(self.starts))

    def columns_in(self, vocabulary: Mapping[str, int]) -> np.ndarray:
        """Every entry's column in ``vocabulary`` (-1: absent); reused when already known."""
        if self.columns is not None and self.vocabulary is vocabulary:
            return self.columns
        return _columns(self.keys, vocabulary)


def _columns(keys: list[str], vocabulary: Mapping[str, int]) -> np.ndarray:
    """Each key's column in ``vocabulary``, -1 when absent (one C-level pass of look-ups)."""
    return np.fromiter(map(vocabulary.get, keys, repeat(-1)), np.int64, len(keys))
