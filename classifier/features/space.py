"""Features: TF-IDF over words and character n-grams (term hits: ``classifier.features.lexicon``).

Training fits vocabularies and IDF with scikit-learn (``classifier.training``); prediction
uses ``FeatureSpace.transform``, a numpy re-implementation of ``TfidfVectorizer``
(``sublinear_tf=True``, smooth IDF, L2 norm) that ``tests/test_features.py`` checks against
scikit-learn. Each block (words, chars) is L2-normalized on its own, then weighted. Matrices
are ``Rows`` (``classifier.features.rows``): prediction never imports scipy.

A document is composed from the normalized title (repeated ``title_weight`` times, so the
headline counts more) and the normalized text, one per line; n-grams never cross lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from classifier.features.charcount import MAX_N, CharCounter, PackedStrings
from classifier.features.rows import Rows, hstack
from classifier.features.wordcounts import WordTable
from classifier.text.normalize import normalize_text
from classifier.text.tokens import char_ngrams, words

__all__ = [
    "CharAnalyzer",
    "FeatureSettings",
    "FeatureSpace",
    "compose",
    "text_head",
    "tfidf_block",
    "word_analyzer",
]


# Char n-grams decoded from their packed form before the whole vocabulary is made strings
# (``FeatureSpace.char_term``): more than a one-page ``classify`` asks for, fewer than a batch.
_TERMS_BEFORE_LIST = 4096


@dataclass(frozen=True)
class FeatureSettings:
    """How text becomes features (stored in meta.json).

    ``read_chars``: only the first ``read_chars`` characters of the normalized text are read
    (0: all of it). 1,800 is what the annotators of both label files read (headline and first
    1,800 / 1,500 characters, ../shared/corpus/README.md): a theme mentioned only further on
    was not labelled, so reading it taught false positives (docs/CLASSIFIER.md). A model saved
    before this setting existed has none in its meta.json and reads the whole text.
    """

    title_weight: int = 2
    char_lo: int = 1
    char_hi: int = 2
    min_df: int = 2
    word_weight: float = 1.0
    char_weight: float = 1.0
    read_chars: int = 1800

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> FeatureSettings:
        """Inverse of ``to_dict``; unknown keys are ignored; without ``read_chars`` (a model
        from before it existed) the whole text is read."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("read_chars", 0)
        return cls(**known)  # type: ignore[arg-type]

    def head(self, text: str) -> str:
        """The part of a normalized ``text`` that features are read from."""
        return text_head(text, self.read_chars)


def text_head(text: str, read_chars: int) -> str:
    """The first ``read_chars`` characters of ``text``; all of it when ``read_chars`` is 0."""
    return text[:read_chars] if read_chars else text


def compose(title: str, text: str, title_weight: int, *,
            normalized: bool = False, read_chars: int = 0) -> tuple[str, str]:
    """(document, normalized title): the document both analyzers read is the normalized
    title repeated ``title_weight`` times, then the normalized text (its first ``read_chars``
    characters, when that is not 0), one per line.

    ``normalized=True`` says both already went through ``normalize_text`` (an ``Article``'s
    title and text always have), which saves two passes per article when labelling.
    """
    title_n = (title if normalized else normalize_text(title)).replace("\n", " ").strip()
    text_n = text_head(text if normalized else normalize_text(text), read_chars)
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


def _count_block(docs_tokens: Sequence[list[str]], vocab: dict[str, int]) -> Rows:
    """Term counts of token lists over a fixed vocabulary (unknown tokens dropped)."""
    indptr = [0]
    indices: list[int] = []
    get = vocab.get
    for toks in docs_tokens:
        indices.extend(i for i in map(get, toks) if i is not None)
        indptr.append(len(indices))
    # Sorted columns, repeats summed: scikit-learn's layout.
    return Rows.from_entries(np.ones(len(indices)), np.asarray(indices, dtype=np.int32),
                             np.asarray(indptr, dtype=np.int64), len(vocab))


def tfidf_block(counts: Rows, idf: np.ndarray) -> Rows:
    """scikit-learn's TfidfTransformer(sublinear_tf=True, norm='l2') with a given IDF."""
    data = np.log(counts.data)
    data += 1.0
    data *= idf[counts.indices]
    out = counts.with_data(data)
    norms = np.sqrt(out.squared_norms())
    norms[norms == 0.0] = 1.0
    data /= np.repeat(norms, np.diff(out.indptr))
    return out


class FeatureSpace:
    """Fitted vocabularies + IDF: turns composed documents into the model's feature matrix."""

    def __init__(self, settings: FeatureSettings, word_vocab: list[str],
                 char_vocab: list[str] | PackedStrings, word_idf: np.ndarray,
                 char_idf: np.ndarray, *, word_index: dict[str, int] | None = None) -> None:
        """``word_index``: the word -> column dict of ``word_vocab`` when the caller has
        built it already (a model load does, to check the words are distinct)."""
        self.settings = settings
        self.word_vocab = word_vocab
        # A model file of format 2 gives the char n-grams packed (``PackedStrings``): they
        # become strings only when something asks for ``char_vocab`` (training, saving to
        # the old format, n-grams over 3 characters); prediction reads the code points.
        self._char_list: list[str] | None = None
        self._char_packed: PackedStrings | None = None
        if isinstance(char_vocab, PackedStrings):
            self._char_packed = char_vocab
        else:
            self._char_list = char_vocab
        self.n_chars = len(char_vocab)
        self._char_asked = 0  # char n-grams decoded from the packed form so far
        # zip with a range builds the dict in C: half the time of a comprehension, and a
        # one-page ``classify`` pays it on every start (issue 14).
        self.word_index = (dict(zip(word_vocab, range(len(word_vocab)), strict=True))
                           if word_index is None else word_index)
        self._char_index: dict[str, int] | None = None
        self.word_idf = np.asarray(word_idf, dtype=np.float64)
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self._char = CharAnalyzer(settings.char_lo, settings.char_hi)
        self._char_counter: CharCounter | None = None
        self._idf_by_word: dict[str, float] | None = None
        self._twins: np.ndarray | None = None
        self._lengths: np.ndarray | None = None
        self._max_idf = float(self.word_idf.max()) if len(self.word_idf) else 1.0

    @property
    def char_vocab(self) -> list[str]:
        """The char n-gram vocabulary, in column order."""
        if self._char_list is None:
            assert self._char_packed is not None
            self._char_list = self._char_packed.strings()
        return self._char_list

    @property
    def char_packed(self) -> PackedStrings:
        """The char n-gram vocabulary as code points (what ``CharCounter`` and a format-2
        model file take)."""
        if self._char_packed is None:
            self._char_packed = PackedStrings.of(self.char_vocab)
        return self._char_packed

    def char_term(self, j: int) -> str:
        """Char n-gram ``j`` (without making the whole vocabulary strings at first).

        Decoding one n-gram costs ~2.6 µs, 50 times a list look-up: once explanations have
        asked for ``_TERMS_BEFORE_LIST`` of them (a batch, ~100 articles in), the whole
        vocabulary is made strings (~15 ms), which a one-page ``classify`` never pays.
        """
        if self._char_list is not None:
            return self._char_list[j]
        self._char_asked += 1
        if self._char_asked > _TERMS_BEFORE_LIST:
            return self.char_vocab[j]
        return self.char_packed.item(j)

    def char_terms(self, js: np.ndarray) -> list[str]:
        """Char n-grams ``js``, decoded together (see ``char_term``)."""
        if self._char_list is not None:
            return [self._char_list[j] for j in js.tolist()]
        self._char_asked += js.shape[0]
        if self._char_asked > _TERMS_BEFORE_LIST:
            return [self.char_vocab[j] for j in js.tolist()]
        return self.char_packed.items(js)

    @property
    def char_index(self) -> dict[str, int]:
        """Char n-gram -> column (built on first use: only n-grams over 3 characters, which
        the vectorized counter does not handle, are looked up one by one)."""
        if self._char_index is None:
            self._char_index = dict(zip(self.char_vocab, range(self.n_chars), strict=True))
        return self._char_index

    @property
    def n_features(self) -> int:
        """Width of the feature matrix (words then chars)."""
        return len(self.word_vocab) + self.n_chars

    def term(self, column: int) -> str:
        """Human-readable term of a feature column (a word or a character n-gram)."""
        nw = len(self.word_vocab)
        return self.word_vocab[column] if column < nw else self.char_term(column - nw)

    def term_keys(self, cols: np.ndarray) -> np.ndarray:
        """The column each feature column reads as: a word column itself, a char n-gram that
        spells a vocabulary word that word's column (so explanations can merge the two).

        Char columns are looked up the first time they are asked for: a pass over the whole
        char vocabulary cost ~30 ms of every one-page ``classify`` (issue 14).
        """
        nw = len(self.word_vocab)
        if self._twins is None:  # -2: not looked up yet; -1: no word spelled the same
            self._twins = np.full(self.n_chars, -2, dtype=np.int64)
        keys = np.array(cols, dtype=np.int64)
        chars = keys >= nw
        grams = keys[chars] - nw
        # Repeats would only be decoded twice (not np.unique: it imports numpy.ma, ~20 ms of a
        # one-page classify).
        todo = grams[self._twins[grams] == -2]
        if todo.shape[0]:
            get = self.word_index.get
            self._twins[todo] = [get(term, -1) for term in self.char_terms(todo)]
        twins = self._twins[grams]
        keys[chars] = np.where(twins >= 0, twins, keys[chars])
        return keys

    def term_lengths(self, cols: np.ndarray) -> np.ndarray:
        """Length in characters of each column's term (remembered per column, like
        ``term_keys``)."""
        if self._lengths is None:  # 0: not measured yet (every term has a character)
            self._lengths = np.zeros(self.n_features, dtype=np.int64)
        new = cols[self._lengths[cols] == 0]
        self._lengths[new] = np.fromiter(map(len, map(self.term, new.tolist())), np.int64,
                                         new.shape[0])
        return self._lengths[cols]

    @property
    def unknown_idf(self) -> float:
        """The IDF ``idf_of_word`` gives a word outside the vocabulary (the largest)."""
        return self._max_idf

    def idf_of_word(self, word: str) -> float:
        """IDF of a word; unknown words get the largest IDF (rarest)."""
        if self._idf_by_word is None:  # the keyword scorer asks for every vocabulary word
            self._idf_by_word = dict(zip(self.word_vocab, self.word_idf.tolist(), strict=True))
        return self._idf_by_word.get(word.lower(), self._max_idf)

    def counts(self, docs: Sequence[str], words: WordTable | None = None) -> Rows:
        """Raw term counts [words | chars] of composed documents.

        ``words`` (a ``WordTable`` of each document's normalized title and text) gives the
        word block without cutting the documents again.
        """
        return hstack(self._blocks(docs, words))

    def _blocks(self, docs: Sequence[str], words: WordTable | None) -> tuple[Rows, Rows]:
        """(word counts, char n-gram counts) of composed documents (see ``counts``)."""
        if words is None:
            wc = _count_block([word_analyzer(d) for d in docs], self.word_index)
        else:
            wc = self._word_block(words)
        return wc, self._char_counts(docs)

    def _word_block(self, words: WordTable) -> Rows:
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
        # Sorted columns, scikit-learn's order: the explanations iterate columns in order.
        return Rows.from_entries(vals[keep], cols[keep].astype(np.int32), indptr,
                                 len(self.word_vocab))

    def _char_counts(self, docs: Sequence[str]) -> Rows:
        """Char n-gram counts: vectorized for n <= 3, string by string beyond."""
        if self.settings.char_hi > MAX_N:
            return _count_block([self._char(d) for d in docs], self.char_index)
        if self._char_counter is None:  # built on first use: training builds many spaces
            self._char_counter = CharCounter(self.char_packed, self.settings.char_lo,
                                             self.settings.char_hi)
        return self._char_counter.counts(docs)

    def weigh(self, counts: Rows | Any) -> Rows:
        """TF-IDF of count rows (``Rows`` or a scipy sparse matrix), each block
        L2-normalized and weighted."""
        return self._weigh(*Rows.of(counts).split_columns(len(self.word_vocab)))

    def _weigh(self, word_counts: Rows, char_counts: Rows) -> Rows:
        w = tfidf_block(word_counts, self.word_idf)
        c = tfidf_block(char_counts, self.char_idf)
        return hstack([w.with_data(w.data * self.settings.word_weight),
                       c.with_data(c.data * self.settings.char_weight)])

    def transform(self, docs: Sequence[str], words: WordTable | None = None) -> Rows:
        """Feature matrix of composed documents (``words``: see ``counts``)."""
        # The blocks are weighed apart and joined once (no join, split and join again).
        return self._weigh(*self._blocks(docs, words))
