"""Extractive summaries of an article body: the lead (default) and a centrality method.

``summarize(text)`` takes the cleaned body (``Article.text``), skips the dateline and byline
(``本报讯（记者… 通讯员…）``, ``新华社北京…电 （记者…）``, a paragraph that is only
``本报记者 X 本报通讯员 Y``) and returns whole sentences within a budget (default at most 3
sentences and 150 characters). A sentence is never cut, except when the first chosen sentence
alone is over the character budget: then it is cut at the last clause mark (，；：) that fits,
or hard at the budget when there is none, and ends with ``…`` (``Summary.truncated``).

``method="textrank"`` ranks sentences by biased PageRank over a cosine graph of char-bigram
TF-IDF vectors (position prior as the teleport vector), picks them by MMR and prints them in
document order. Default choice and numbers: docs/SUMMARIES.md (issue 4).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.errors import OptionError
from classifier.text.sentences import CLAUSE_MARKS, split_sentences

if TYPE_CHECKING:
    from classifier.summary.keyterms import KeywordScorer
    from classifier.text.article import Article

__all__ = [
    "METHODS",
    "Summary",
    "body_sentences",
    "clause_cut",
    "rank_sentences",
    "strip_byline",
    "summarize",
    "summary_record",
]

METHODS = ("lead", "textrank")
ELLIPSIS = "…"

_NAME = r"[\u4e00-\u9fff·]{2,5}"
_ROLE = r"(?:本报|新华社|人民日报|工人日报)?(?:特约|见习|首席|实习)?(?:记者|通讯员|实习生|撰稿人)"
# A paragraph that is nothing but bylines: 本报记者 王伟 本报通讯员 李明 / □记者 张三 / 文/图 X
_BYLINE_PARA = re.compile(
    rf"^[□■●◆◇○\s]*(?:(?:{_ROLE}|文\s*/\s*图|文|图|作者)\s*[：:/]?\s*"
    rf"{_NAME}(?:\s*[、，,\s]\s*{_NAME})*\s*)+$"
)
# 本报讯 / 本报讯（记者… 通讯员…）/ 本报讯 记者 张三 通讯员 李四 (names then whitespace)
_BENBAOXUN = re.compile(
    rf"^\s*(?:【\s*)?本报讯(?:\s*】)?\s*(?:[（(][^（）()]{{0,60}}[）)]|"
    rf"(?:{_ROLE}\s*{_NAME}(?:[、\s]{_NAME})*\s+)+)?\s*"
)
# 新华社北京12月31日电 / 本报北京11月2日电 / 本报电 / 人民网北京1月2日电, then (记者…)
_AGENCY = (
    r"(?:据)?(?:本报|新华社|中新社|中新网|人民网|新华网|央视网|"
    r"[\u4e00-\u9fff]{2,6}(?:日报|社|网))"
)
_DATELINE = re.compile(
    rf"^\s*{_AGENCY}(?:[\u4e00-\u9fff·]{{0,12}}?\d{{1,2}}月\d{{1,2}}日电|"
    rf"[\u4e00-\u9fff·]{{0,12}}?电(?=[\s（(]))"
    rf"\s*(?:[（(][^（）()]{{0,60}}[）)])?\s*"
)


@dataclass(frozen=True)
class Summary:
    """An extractive summary. ``truncated`` marks a clause cut ending in ``…``."""

    text: str
    sentences: tuple[str, ...]
    method: str
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "text": self.text,
            "sentences": list(self.sentences),
            "method": self.method,
            "truncated": self.truncated,
        }


def strip_byline(text: str) -> str:
    """Drop leading byline-only paragraphs and the dateline/byline prefix of the first one."""
    paras = [p.strip() for p in text.splitlines()]
    paras = [p for p in paras if p]
    # Only the opening paragraphs can be bylines; a bound keeps body text safe.
    for _ in range(3):
        if paras and len(paras[0]) <= 40 and _BYLINE_PARA.match(paras[0]):
            paras.pop(0)
    if paras:
        first = _BENBAOXUN.sub("", paras[0], count=1)
        if first == paras[0]:
            first = _DATELINE.sub("", paras[0], count=1)
        if first.strip():
            paras[0] = first.strip()
        else:
            paras.pop(0)
    return "\n".join(paras)


LEAD_WINDOW_MARGIN = 256


def body_sentences(text: str) -> list[str]:
    """Candidate summary sentences: the body's sentences after the byline is skipped."""
    return split_sentences(strip_byline(text))


def summarize(
    text: str, *, sentences: int = 3, max_chars: int = 150, method: str = "lead"
) -> Summary:
    """Summarize an article body with whole sentences within the budget.

    ``sentences`` and ``max_chars`` bound the summary; ``method`` is one of ``METHODS``.
    An empty body gives an empty summary. Raises ``OptionError`` for a bad option.
    """
    if method not in METHODS:
        raise OptionError(f"unknown summary method {method!r}; use one of {', '.join(METHODS)}")
    if sentences < 1:
        raise OptionError(f"sentences must be at least 1, got {sentences}")
    if max_chars < 2:
        raise OptionError(f"max_chars must be at least 2, got {max_chars}")
    body = strip_byline(text)
    if method == "lead":
        # The lead never reads past its budget: the sentences of a window a little longer
        # than the budget are the article's own up to it (a sentence cut by the window is
        # over budget either way), and splitting a whole long article was a tenth of the
        # labelling time.
        body = body[: max_chars + LEAD_WINDOW_MARGIN]
    sents = split_sentences(body)
    if not sents:
        return Summary("", (), method)
    if method == "lead" or len(sents) == 1:
        order = list(range(len(sents)))
    else:
        order = rank_sentences(sents)
    return _fit(sents, order, sentences, max_chars, method)


def summary_record(
    article: Article,
    *,
    sentences: int = 3,
    max_chars: int = 150,
    method: str = "lead",
    k: int = 5,
    scorer: KeywordScorer | None = None,
) -> dict[str, Any]:
    """The ``summarize`` command's record: source, id, article index, title, summary, keywords.

    ``scorer`` weighs keyword candidates (``ThemeModel.keyword_scorer()``); without it, by
    term frequency alone.
    """
    from classifier.summary.keyterms import keywords  # loads the segmenter: only when asked

    summary = summarize(article.text, sentences=sentences, max_chars=max_chars, method=method)
    return {
        "source": article.source,
        "id": article.key,
        "article": article.index,
        "title": article.title,
        "summary": summary.text,
        "keywords": keywords(article.text, k=k, title=article.title, normalized=True,
                             scorer=scorer),
    }


def _fit(sents: list[str], order: list[int], limit: int, max_chars: int, method: str) -> Summary:
    """Take sentences in ``order`` while they fit; print them in document order.

    The lead stops at the first sentence that does not fit (it must stay a prefix); a ranked
    method skips it and tries the next one.
    """
    chosen: list[int] = []
    used = 0
    for i in order:
        if len(chosen) >= limit:
            break
        if used + len(sents[i]) <= max_chars:
            chosen.append(i)
            used += len(sents[i])
        elif method == "lead":
            break
    if not chosen:
        cut = clause_cut(sents[order[0]], max_chars)
        return Summary(cut, (cut,), method, truncated=True)
    picked = tuple(sents[i] for i in sorted(chosen))
    return Summary("".join(picked), picked, method)


def clause_cut(sentence: str, max_chars: int) -> str:
    """Cut an over-long sentence at the last clause mark that fits, ending with ``…``.

    With no clause mark in reach the cut falls at the budget itself (still marked).
    """
    room = max_chars - len(ELLIPSIS)
    head = sentence[:room]
    # Keep at least a fifth of the budget so a stray early comma does not leave a stub.
    for k in range(len(head) - 1, max(room // 5, 1) - 1, -1):
        if head[k] in CLAUSE_MARKS:
            return head[:k] + ELLIPSIS
    return head.rstrip() + ELLIPSIS


# TextRank settings. Chosen on the LCSTS part III pairs with human_label < 3 (not the 725
# test pairs) and kept simple; see docs/SUMMARIES.md.
DAMPING = 0.85
POSITION_DECAY = 1.0  # teleport weight of sentence i is 1 / (i + 1) ** POSITION_DECAY
MMR_LAMBDA = 0.7  # 1.0 = pure centrality, lower = stronger redundancy penalty
_TOKEN_CHAR = re.compile(r"[\w]")


def _bigrams(sentence: str) -> list[str]:
    chars = [c for c in sentence if _TOKEN_CHAR.match(c)]
    if len(chars) < 2:
        return chars
    return [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def _tfidf(sents: list[str]) -> np.ndarray:
    """L2-normalized char-bigram TF-IDF rows, IDF taken over the article's own sentences."""
    counts = [Counter(_bigrams(s)) for s in sents]
    vocab = {g: j for j, g in enumerate(sorted({g for c in counts for g in c}))}
    m = np.zeros((len(sents), max(len(vocab), 1)))
    for i, c in enumerate(counts):
        for g, n in c.items():
            m[i, vocab[g]] = n
    df = (m > 0).sum(axis=0)
    m *= np.log((len(sents) + 1) / (df + 1)) + 1.0
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def rank_sentences(sents: list[str]) -> list[int]:
    """All sentence indices, best first: biased PageRank then MMR re-ranking."""
    n = len(sents)
    vec = _tfidf(sents)
    sim = vec @ vec.T
    np.fill_diagonal(sim, 0.0)
    rows = sim.sum(axis=1, keepdims=True)
    # A sentence with no neighbours teleports uniformly, as in PageRank's dangling nodes.
    trans = np.divide(sim, rows, out=np.full_like(sim, 1.0 / n), where=rows > 0)
    prior = np.array([1.0 / math.pow(i + 1, POSITION_DECAY) for i in range(n)])
    prior /= prior.sum()
    score = prior.copy()
    for _ in range(100):
        new = (1 - DAMPING) * prior + DAMPING * (trans.T @ score)
        if np.abs(new - score).sum() < 1e-9:
            score = new
            break
        score = new
    score = score / score.max()
    order: list[int] = []
    redundancy = np.zeros(n)  # max similarity to any sentence already chosen
    open_ = np.ones(n, dtype=bool)
    for _ in range(n):
        gain = MMR_LAMBDA * score - (1 - MMR_LAMBDA) * redundancy
        gain[~open_] = -np.inf
        best = int(np.argmax(gain))  # argmax takes the first maximum: earlier sentence wins
        order.append(best)
        open_[best] = False
        redundancy = np.maximum(redundancy, sim[best])
    return order
