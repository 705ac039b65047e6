"""Top-k keywords of an article by TF-IDF (issue 4).

Words come from ``classifier.tokens.words`` on normalized text. A word counts when it is not a
stop word (the curated ``data/stopwords.txt``), has at least two characters and is not a bare
number (``2020``, ``3.5%``, ``2020年``, ``12月``). Its score is term frequency x IDF, where the
IDF is the model's (``ThemeModel.word_idf``) when given and flat (pure term frequency)
otherwise; a word that also occurs in the title counts ``TITLE_BOOST`` times as much, since
the headline names the topic. Ties go to the word seen first, so results are deterministic.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from classifier.errors import InputError
from classifier.normalize import normalize_text
from classifier.tokens import words

__all__ = ["TITLE_BOOST", "is_candidate", "keywords", "stopwords"]

TITLE_BOOST = 2.0
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


def keywords(
    text: str,
    *,
    k: int = 5,
    idf: Callable[[str], float] | None = None,
    title: str = "",
    normalized: bool = False,
) -> list[str]:
    """The ``k`` best keywords of ``text`` (and ``title``), best first.

    ``idf`` maps a word to its inverse document frequency (e.g. ``ThemeModel.word_idf``);
    without it every word weighs 1. Returns fewer than ``k`` words for short texts.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if not normalized:  # an Article's text and title already are
        text, title = normalize_text(text), normalize_text(title)
    body = words(text)
    head = words(title) if title else []
    # Count every token first and judge each distinct word once: labelling calls this for
    # every article, and most tokens repeat.
    tf = Counter(body)
    tf.update(head)
    first = {w: i for i, w in enumerate(dict.fromkeys([*head, *body]))}
    in_title = set(head)
    candidates = [w for w in tf if is_candidate(w)]
    idfs = [idf(w) for w in candidates] if idf is not None else [1.0] * len(candidates)
    # (-weight, first position, word): ties go to the word seen first.
    ranked = [
        (-tf[w] * x * (TITLE_BOOST if w in in_title else 1.0), first[w], w)
        for w, x in zip(candidates, idfs, strict=True)
    ]
    return [_as_written(w, title, text) for _, _, w in heapq.nsmallest(k, ranked)]


def _as_written(word: str, *texts: str) -> str:
    """The keyword as the article writes it: tokens are lowercased (TCL, not tcl)."""
    if word.isascii() and not word.isdigit():
        for text in texts:
            found = re.search(re.escape(word), text, flags=re.IGNORECASE)
            if found:
                return found.group(0)
    return word
