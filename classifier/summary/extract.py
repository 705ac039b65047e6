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

import re
from dataclasses import dataclass
from typing import Any

from classifier.errors import OptionError
from classifier.text.sentences import CLAUSE_MARKS, split_sentences

__all__ = [
    "METHODS",
    "Summary",
    "body_sentences",
    "clause_cut",
    "strip_byline",
    "summarize",
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
        from classifier.summary.textrank import rank_sentences  # numpy: only when asked

        order = rank_sentences(sents)
    return _fit(sents, order, sentences, max_chars, method)


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
