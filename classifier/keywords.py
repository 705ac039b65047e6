"""Top-k keywords of an article by TF-IDF (issue 4).

Words come from ``classifier.tokens.words`` on normalized text. A word counts when it is not a
stop word (the curated ``data/stopwords.txt``), has at least two characters and is not a bare
number (``2020``, ``3.5%``, ``2020年``, ``12月``). Its score is term frequency x IDF, where the
IDF is the model's (``ThemeModel.word_idf``) when given and flat (pure term frequency)
otherwise; a word that also occurs in the title counts ``TITLE_BOOST`` times as much, since
the headline names the topic. Ties go to the word seen first, so results are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from itertools import repeat

import numpy as np

from classifier.errors import InputError
from classifier.normalize import normalize_text
from classifier.tokens import WordCounts, count_words

__all__ = ["TITLE_BOOST", "KeywordScorer", "is_candidate", "keywords", "stopwords"]

TITLE_BOOST = 2.0
_MEMO_WORDS = 200_000  # words a scorer learns beyond its vocabulary (~20 MB at most)
# Numbers with an optional unit or date suffix carry no topic: 2020, 3.5%, 2020年, 第3, 12月.
_NUMBER = re.compile(r"^第?[\d.,%‰+\-]+(?:[年月日号时分秒万亿千百十元个名人次届期岁倍吨]+)?$")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The packaged stop-word list (loaded once, on first use)."""
    text = resources.files("classifier").joinpath("data/stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1 << 16)
def is_candidate(word: str) -> bool:
    """Whether ``word`` may be a keyword: two characters or more, no stop word, no number."""
    return len(word) >= 2 and word not in stopwords() and not _NUMBER.match(word)


class KeywordScorer:
    """Weighs words as keywords: IDF (or 1) for a word that may be a keyword, 0 otherwise.

    ``known`` holds precomputed weights (a model's vocabulary: ``ThemeModel.keyword_scorer``),
    looked up in one C-level pass per article; other words are judged one by one with
    ``is_candidate`` and ``idf``.
    """

    def __init__(self, idf: Callable[[str], float] | None = None,
                 known: Mapping[str, float] | None = None) -> None:
        self.idf = idf
        self.known: dict[str, float] = dict(known or {})
        self._limit = len(self.known) + _MEMO_WORDS

    @classmethod
    def for_vocabulary(cls, vocab: Sequence[str], idf: Callable[[str], float]) -> KeywordScorer:
        """A scorer with every vocabulary word's weight precomputed."""
        return cls(idf, {w: idf(w) if is_candidate(w) else 0.0 for w in vocab})

    def weight(self, word: str) -> float:
        """Weight of one word."""
        found = self.known.get(word)
        if found is None:
            found = self.idf(word) if self.idf is not None and is_candidate(word) else float(
                is_candidate(word))
            # Remember new words too (names, places recur), up to a bound: memory stays flat
            # over a run of any length.
            if len(self.known) < self._limit:
                self.known[word] = found
        return found

    def top(self, counts: WordCounts, k: int) -> list[str]:
        """The ``k`` best words of an article's counts, best first (lowercased tokens)."""
        keys = list(counts.counts)
        n = len(keys)
        weights = np.fromiter(map(self.known.get, keys, repeat(np.nan)), np.float64, n)
        for i in np.flatnonzero(np.isnan(weights)).tolist():
            weights[i] = self.weight(keys[i])
        score = np.fromiter(counts.counts.values(), np.float64, n) * weights
        # The title's words are the first keys: the headline names the topic.
        score[: len(counts.title)] *= TITLE_BOOST
        # Stable: ties go to the word seen first (title words, then the body's order).
        best = np.argsort(-score, kind="stable")[:k]
        return [keys[i] for i in best.tolist() if score[i] > 0.0]


def keywords(
    text: str,
    *,
    k: int = 5,
    idf: Callable[[str], float] | None = None,
    title: str = "",
    normalized: bool = False,
    scorer: KeywordScorer | None = None,
    counts: WordCounts | None = None,
) -> list[str]:
    """The ``k`` best keywords of ``text`` (and ``title``), best first.

    ``idf`` maps a word to its inverse document frequency (e.g. ``ThemeModel.word_idf``);
    without it every word weighs 1. ``scorer`` (e.g. ``ThemeModel.keyword_scorer()``) replaces
    ``idf`` with precomputed weights, and ``counts`` (``tokens.count_words`` of the normalized
    title and text) saves cutting the text again. Returns fewer than ``k`` words for short
    texts.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if not normalized:  # an Article's text and title already are
        text, title = normalize_text(text), normalize_text(title)
    if counts is None:
        counts = count_words(title, text)
    chosen = (scorer or KeywordScorer(idf)).top(counts, k)
    return [_as_written(w, title, text) for w in chosen]


def _as_written(word: str, *texts: str) -> str:
    """The keyword as the article writes it: tokens are lowercased (TCL, not tcl)."""
    if word.isascii() and not word.isdigit():
        for text in texts:
            found = re.search(re.escape(word), text, flags=re.IGNORECASE)
            if found:
                return found.group(0)
    return word
