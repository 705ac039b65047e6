"""Top-k keywords of an article by TF-IDF (issue 4).

Words come from ``classifier.features.wordcounts`` (``tokens.words`` of normalized text). A
word counts when a person can read it as a topic (``summary.readable.is_readable_term``,
issue 11): at least two characters, not a stop word (the curated ``data/stopwords.txt``), not
a number or counter (``2020``, ``2020年``, ``九届``, ``余份``), not a two-character non-word
(``递员``); and not one of the article's byline names (``张三`` of ``（记者张三）``) nor only a
given name in it (``志强`` of 李志强). Its score is term frequency x IDF, where the IDF is the
model's (``ThemeModel.word_idf``) when given and flat (pure term frequency) otherwise; a word
that also occurs in the title counts ``TITLE_BOOST`` times as much, since the headline names
the topic. Ties go to the word seen first, so results are deterministic. ``keywords_many``
picks the keywords of a whole batch in array operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import repeat

import numpy as np

from classifier.errors import OptionError
from classifier.features.space import text_head
from classifier.features.wordcounts import WordTable, count_words
from classifier.summary.readable import (
    byline_names,
    is_given_name,
    is_readable_term,
    stopwords,
)
from classifier.text.normalize import normalize_text

__all__ = ["TITLE_BOOST", "KeywordScorer", "is_candidate", "keywords", "keywords_many",
           "stopwords"]

TITLE_BOOST = 2.0
_MEMO_WORDS = 200_000  # words a scorer learns beyond its vocabulary (~20 MB at most)


def is_candidate(word: str) -> bool:
    """Whether ``word`` may be a keyword: a term a person can read on its own
    (``summary.readable.is_readable_term``: two characters or more, no stop word, number,
    counter or two-character non-word). Cached per word."""
    return is_readable_term(word)


class KeywordScorer:
    """Weighs words as keywords: IDF (or 1) for a word that may be a keyword, 0 otherwise.

    A scorer made ``for_vocabulary`` keeps the weight of every vocabulary column it has met
    (NaN until then), so a ``WordTable`` looked up in that vocabulary is weighed with one
    array gather; other words are judged one by one with ``is_candidate`` and ``idf`` and
    remembered in ``known``. ``read_chars`` (0: all) is how much of a text the words are
    counted from: a model's scorer reads what the model reads (``FeatureSettings.read_chars``),
    so ``keywords`` and labelling, which shares the model's word counts, agree.
    """

    def __init__(self, idf: Callable[[str], float] | None = None,
                 known: Mapping[str, float] | None = None, read_chars: int = 0) -> None:
        self.idf = idf
        self.read_chars = read_chars
        self.known: dict[str, float] = dict(known or {})
        self._limit = len(self.known) + _MEMO_WORDS
        self.vocabulary: Mapping[str, int] | None = None
        self.by_column = np.zeros(0)
        self._column_idf: np.ndarray | None = None

    @classmethod
    def for_vocabulary(cls, vocabulary: Mapping[str, int], idf: Callable[[str], float],
                       column_idf: np.ndarray | None = None,
                       unknown_idf: float | None = None, read_chars: int = 0) -> KeywordScorer:
        """A scorer for the words of ``vocabulary`` (word -> column).

        A column's weight is computed the first time an article has its word: judging all
        27,000 words up front cost ~0.1 s of every one-page ``classify`` (issue 14).
        ``column_idf`` (optional) holds ``idf`` of every column's word and ``unknown_idf``
        (optional, with it) what ``idf`` gives every word outside the vocabulary, so that
        a batch's weights are one gather instead of one call per word.
        """
        scorer = cls(idf, read_chars=read_chars)
        scorer.vocabulary = vocabulary
        # One spare slot at the end: column -1 (not in the vocabulary) indexes it harmlessly.
        width = max(vocabulary.values(), default=-1) + 2
        scorer.by_column = np.full(width, np.nan)
        scorer.by_column[-1] = 0.0
        if column_idf is not None:
            # The spare last slot (column -1) holds the weight of words outside: NaN when
            # unknown, and then ``idf`` is asked.
            spare = np.nan if unknown_idf is None else unknown_idf
            scorer._column_idf = np.append(np.asarray(column_idf, dtype=np.float64), spare)
            if scorer._column_idf.shape[0] != width:
                raise ValueError(f"column_idf has {column_idf.shape[0]} entries for a "
                                 f"vocabulary of {width - 1} columns")
        return scorer

    def weight(self, word: str) -> float:
        """Weight of one word."""
        found = self.known.get(word)
        if found is None:
            bound = self.idf(word) if self.idf is not None else 1.0
            found = bound if self._judge(word, -1, bound) else 0.0
        return found

    def _bounds(self, table: WordTable) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(weight, judged, columns) of every entry of ``table``.

        A judged entry has its weight; an unjudged one the weight it has if it may be a
        keyword (its IDF, or 1), which is also an upper bound: judging only sets it to 0 or
        keeps it. ``columns`` are the entries' vocabulary columns (None without one).
        """
        n = len(table.keys)
        cols = None
        if self.vocabulary is not None:
            cols = table.columns_in(self.vocabulary)
            weights = self.by_column[cols]
            rest = np.flatnonzero(cols < 0)
        else:
            weights = np.empty(n)
            rest = np.arange(n)
        keys = [table.keys[i] for i in rest.tolist()]
        weights[rest] = np.fromiter(map(self.known.get, keys, repeat(np.nan)), np.float64,
                                    len(keys))
        judged = ~np.isnan(weights)
        todo = ~judged
        if self.idf is None:
            weights[todo] = 1.0
            return weights, judged, cols
        if cols is not None and self._column_idf is not None:
            weights[todo] = self._column_idf[cols[todo]]
            todo &= np.isnan(weights)
        # One ``idf`` call per distinct word: cheap next to judging it (regexes, a dictionary).
        words = [table.keys[i] for i in np.flatnonzero(todo).tolist()]
        distinct = dict.fromkeys(words)
        bound = dict(zip(distinct, map(self.idf, distinct), strict=True))
        weights[todo] = np.fromiter(map(bound.__getitem__, words), np.float64, len(words))
        return weights, judged, cols

    def _judge(self, word: str, column: int, weight: float) -> bool:
        """Whether ``word`` may be a keyword; remembers its weight (``weight`` or 0) by
        vocabulary ``column``, or by word when the column is -1."""
        ok = is_candidate(word)
        if column >= 0:
            self.by_column[column] = weight if ok else 0.0
        elif len(self.known) < self._limit:
            # Words outside the vocabulary are remembered too (names, places recur), up to
            # a bound: memory stays flat over a run of any length.
            self.known[word] = weight if ok else 0.0
        return ok

    def top_many(self, table: WordTable, k: int,
                 exclude: Sequence[Collection[str]] | None = None) -> list[list[str]]:
        """The ``k`` best words of every article of ``table``, best first (lowercased).

        ``exclude`` holds, per article, words that must not be chosen there (its byline
        names). Words are ranked by the weight they have if they may be keywords and judged
        (``is_candidate``) in that order until ``k`` pass: judging takes regexes and a
        dictionary look-up, and most of a batch's words never come near its top ``k``
        (issue 14). A judged word keeps its weight or drops to 0, so the words that pass,
        in that order, are exactly the top ``k`` by their true scores.
        """
        upper, judged, cols = self._bounds(table)
        score = table.counts * upper
        score[table.title > 0] *= TITLE_BOOST  # the headline names the topic
        for row, words in enumerate(exclude or ()):
            lo, hi = int(table.starts[row]), int(table.starts[row + 1])
            for word in words:
                try:  # a C-level search of the article's few hundred distinct words
                    score[table.keys.index(word.lower(), lo, hi)] = 0.0
                except ValueError:
                    continue
        rows = table.rows()
        # By article, then best first; lexsort is stable, so ties go to the word seen first
        # (title words, then the body's order).
        order = np.lexsort((-score, rows))
        out: list[list[str]] = [[] for _ in range(len(table))]
        if k <= 0:
            return out
        starts = table.starts.tolist()
        for row, picked in enumerate(out):
            self._walk(table, order, starts[row], starts[row + 1], k, picked,
                       (score, upper, judged, cols))
        return out

    def _walk(self, table: WordTable, order: np.ndarray, lo: int, hi: int, k: int,
              picked: list[str],
              arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]) -> None:
        """Append to ``picked`` the first ``k`` words of one article's entries
        ``order[lo:hi]`` (best bound first) that may be keywords, judging as it goes."""
        score, upper, judged, cols = arrays
        # A few candidates at a time: most articles are done within their first k entries.
        for start in range(lo, hi, 4 * k):
            for i in order[start:min(hi, start + 4 * k)].tolist():
                if score[i] <= 0.0:
                    return  # the rest of the article scores 0
                if not judged[i]:
                    column = -1 if cols is None else int(cols[i])
                    if not self._judge(table.keys[i], column, float(upper[i])):
                        continue
                picked.append(table.keys[i])
                if len(picked) == k:
                    return


def keywords(
    text: str,
    *,
    k: int = 5,
    idf: Callable[[str], float] | None = None,
    title: str = "",
    normalized: bool = False,
    scorer: KeywordScorer | None = None,
) -> list[str]:
    """The ``k`` best keywords of ``text`` (and ``title``), best first.

    ``idf`` maps a word to its inverse document frequency (e.g. ``ThemeModel.word_idf``);
    without it every word weighs 1. ``scorer`` (e.g. ``ThemeModel.keyword_scorer()``, whose
    weights are precomputed and remembered across calls) replaces ``idf``, and counts words in
    as much of ``text`` as its model reads. Returns fewer than ``k`` words for short texts.
    """
    if not normalized:  # an Article's text and title already are
        text, title = normalize_text(text), normalize_text(title)
    scorer = scorer or KeywordScorer(idf)
    table = WordTable.of([count_words(title, text_head(text, scorer.read_chars))],
                         scorer.vocabulary)
    return keywords_many(table, [(title, text)], k=k, scorer=scorer)[0]


def keywords_many(table: WordTable, articles: Sequence[tuple[str, str]], *, k: int,
                  scorer: KeywordScorer) -> list[list[str]]:
    """Keywords of many articles at once: ``table`` holds the words of the normalized
    (title, text) ``articles``; ``scorer`` is e.g. ``ThemeModel.keyword_scorer()``. The
    reporters an article names (``byline_names``) are never its keywords."""
    if k < 0:
        raise OptionError(f"keywords: k must be 0 or more, got {k}")
    if k == 0:  # no keywords asked for: nothing to rank
        return [[] for _ in articles]
    names = [byline_names(text) for _, text in articles]
    # Twice k, so that the given names among them (志强 of 李志强: ``is_given_name``, which
    # only the article can tell) can be dropped and k words still be left: the first of the
    # 2k are the top k, so nothing else changes.
    chosen = scorer.top_many(table, 2 * k, names)
    return [[_as_written(w, title, text) for w in _not_given_names(words, title, text)[:k]]
            for words, (title, text) in zip(chosen, articles, strict=True)]


def _not_given_names(words: list[str], title: str, text: str) -> list[str]:
    return [w for w in words if not is_given_name(w, title, text)]


def _as_written(word: str, *texts: str) -> str:
    """The keyword as the article writes it: tokens are lowercased (TCL, not tcl)."""
    if word.isascii() and not word.isdigit():
        for text in texts:
            found = re.search(re.escape(word), text, flags=re.IGNORECASE)
            if found:
                return found.group(0)
    return word
