"""Features: TF-IDF over words and character n-grams (term hits: ``classifier.features.lexicon``).

Training fits vocabularies and IDF with scikit-learn (``classifier.training``); prediction
uses ``FeatureSpace.transform``, a numpy/scipy re-implementation of ``TfidfVectorizer``
(``sublinear_tf=True``, smooth IDF, L2 norm) that ``tests/test_features.py`` checks against
scikit-learn. Each block (words, chars) is L2-normalized on its own, then weighted.

A document is composed from the normalized title (repeated ``title_weight`` times, so the
headline counts more) and the normalized text, one per line; n-grams never cross lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import chain

import numpy as np
import scipy.sparse as sp

from classifier.features.charcount import MAX_N, CharCounter
from classifier.features.wordcounts import WordTable
from classifier.text.normalize import normalize_text
from classifier.text.tokens import char_ngrams, words

__all__ = [
    "CharAnalyzer",
    "FeatureSettings",
    "FeatureSpace",
    "TermIndex",
    "compose",
    "tfidf_block",
    "word_analyzer",
]


@dataclass(frozen=True)
class FeatureSettings:
    """How text becomes features (stored in meta.json)."""

    title_weight: int = 2
    char_lo: int = 1
    char_hi: int = 2
    min_df: int = 2
    word_weight: float = 1.0
    char_weight: float = 1.0

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> FeatureSettings:
        """Inverse of ``to_dict``; unknown keys are ignored."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)  # type: ignore[arg-type]


def compose(title: str, text: str, title_weight: int, *,
            normalized: bool = False) -> tuple[str, str]:
    """(document, normalized title): the document both analyzers read is the normalized
    title repeated ``title_weight`` times, then the normalized text, one per line.

    ``normalized=True`` says both already went through ``normalize_text`` (an ``Article``'s
    title and text always have), which saves two passes per article when labelling.
    """
    title_n = (title if normalized else normalize_text(title)).replace("\n", " ").strip()
    text_n = text if normalized else normalize_text(text)
    parts = [title_n] * title_weight if title_n else []
    parts.append(text_n)
    return "\n".join(parts), title_n


def word_analyzer(doc: str) -> list[str]:
    """Word tokens of a composed document (a module-level function, so nothing saved holds it)."""
    return words(doc)


class CharAnalyzer:
    """Character n-grams lo..hi of a composed document."""

    def __init__(self, lo: int, hi: int) -> None:
        self.lo = lo
        self.hi = hi

    def __call__(self, doc: str) -> list[str]:
        return char_ngrams(doc, self.lo, self.hi)


def _count_block(docs_tokens: Sequence[list[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    """Term counts of token lists over a fixed vocabulary (unknown tokens dropped)."""
    indptr = [0]
    indices: list[int] = []
    get = vocab.get
    for toks in docs_tokens:
        indices.extend(i for i in map(get, toks) if i is not None)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    mat = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(docs_tokens), len(vocab)),
    )
    mat.sum_duplicates()  # also sorts indices, like scikit-learn's output
    return mat


def tfidf_block(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """scikit-learn's TfidfTransformer(sublinear_tf=True, norm='l2') with a given IDF."""
    out = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log(out.data, out=out.data)
    out.data += 1.0
    out.data *= idf[out.indices]
    sq = np.asarray(out.multiply(out).sum(axis=1)).ravel()
    norms = np.sqrt(sq)
    norms[norms == 0.0] = 1.0
    out.data /= np.repeat(norms, np.diff(out.indptr))
    return out


@dataclass(frozen=True)
class TermIndex:
    """Per feature column: ``keys`` (the column of the word it reads as) and term ``lengths``."""

    keys: np.ndarray
    lengths: np.ndarray


class FeatureSpace:
    """Fitted vocabularies + IDF: turns composed documents into the model's feature matrix."""

    def __init__(self, settings: FeatureSettings, word_vocab: list[str], char_vocab: list[str],
                 word_idf: np.ndarray, char_idf: np.ndarray) -> None:
        self.settings = settings
        self.word_vocab = word_vocab
        self.char_vocab = char_vocab
        self.word_index = {w: i for i, w in enumerate(word_vocab)}
        self.char_index = {c: i for i, c in enumerate(char_vocab)}
        self.word_idf = np.asarray(word_idf, dtype=np.float64)
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self._char = CharAnalyzer(settings.char_lo, settings.char_hi)
        self._char_counter: CharCounter | None = None
        self._idf_by_word: dict[str, float] | None = None
        self._term_index: TermIndex | None = None
        self._max_idf = float(self.word_idf.max()) if len(self.word_idf) else 1.0

    @property
    def n_features(self) -> int:
        """Width of the feature matrix (words then chars)."""
        return len(self.word_vocab) + len(self.char_vocab)

    def term(self, column: int) -> str:
        """Human-readable term of a feature column (a word or a character n-gram)."""
        nw = len(self.word_vocab)
        return self.word_vocab[column] if column < nw else self.char_vocab[column - nw]

    def term_index(self) -> TermIndex:
        """Which feature columns read the same, and how long each column's term is (built once).

        A word column keys itself; a char n-gram that spells a vocabulary word keys that
        word's column, so explanations can merge the two.
        """
        if self._term_index is None:
            nw = len(self.word_vocab)
            keys = np.arange(self.n_features, dtype=np.int64)
            for j, gram in enumerate(self.char_vocab):
                i = self.word_index.get(gram)
                if i is not None:
                    keys[nw + j] = i
            lengths = np.fromiter(map(len, chain(self.word_vocab, self.char_vocab)), np.int64,
                                  self.n_features)
            self._term_index = TermIndex(keys, lengths)
        return self._term_index

    def idf_of_word(self, word: str) -> float:
        """IDF of a word; unknown words get the largest IDF (rarest)."""
        if self._idf_by_word is None:  # the keyword scorer asks for every vocabulary word
            self._idf_by_word = dict(zip(self.word_vocab, self.word_idf.tolist(), strict=True))
        return self._idf_by_word.get(word.lower(), self._max_idf)

    def counts(self, docs: Sequence[str], words: WordTable | None = None) -> sp.csr_matrix:
        """Raw term counts [words | chars] of composed documents.

        ``words`` (a ``WordTable`` of each document's normalized title and text) gives the
        word block without cutting the documents again.
        """
        if words is None:
            wc = _count_block([word_analyzer(d) for d in docs], self.word_index)
        else:
            wc = self._word_block(words)
        return sp.hstack([wc, self._char_counts(docs)], format="csr")

    def _word_block(self, words: WordTable) -> sp.csr_matrix:
        """Word counts of composed documents from their articles' word table.

        A composed document holds the title ``title_weight`` times, so a word counts
        ``counts + (title_weight - 1) * title``.
        """
        cols = words.columns_in(self.word_index)
        vals = words.counts + (self.settings.title_weight - 1) * words.title
        keep = (cols >= 0) & (vals > 0)  # title_weight 0 drops title-only words
        n = len(words)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(words.rows()[keep], minlength=n), out=indptr[1:])
        mat = sp.csr_matrix((vals[keep], cols[keep].astype(np.int32), indptr),
                            shape=(n, len(self.word_vocab)))
        mat.sort_indices()  # scikit-learn's order: the explanations iterate columns in order
        return mat

    def _char_counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Char n-gram counts: vectorized for n <= 3, string by string beyond."""
        if self.settings.char_hi > MAX_N:
            return _count_block([self._char(d) for d in docs], self.char_index)
        if self._char_counter is None:  # built on first use: training builds many spaces
            self._char_counter = CharCounter(self.char_vocab, self.settings.char_lo,
                                             self.settings.char_hi)
        return self._char_counter.counts(docs)

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF of count rows, each block L2-normalized and weighted."""
        nw = len(self.word_vocab)
        w = tfidf_block(counts[:, :nw], self.word_idf) * self.settings.word_weight
        c = tfidf_block(counts[:, nw:], self.char_idf) * self.settings.char_weight
        return sp.hstack([w, c], format="csr")

    def transform(self, docs: Sequence[str], words: WordTable | None = None) -> sp.csr_matrix:
        """Feature matrix of composed documents (``words``: see ``counts``)."""
        return self.weigh(self.counts(docs, words))
