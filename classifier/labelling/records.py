"""The records ``label``, ``classify``, ``summarize`` and the HTTP service emit, built here only.

A ``LabelRecord`` is one labelled article; a ``Failure`` (``classifier.text.article``) stands in
for an input or JSONL line that could not be read; a ``SummaryRecord`` is what ``summarize``
prints. Field order is the JSON key order and, for ``LabelRecord``, the CSV column order
(``classifier.labelling.output``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from classifier.summary.extract import summarize
from classifier.text.article import Article, Failure

if TYPE_CHECKING:
    from classifier.model.theme_model import Prediction
    from classifier.summary.keyterms import KeywordScorer

__all__ = [
    "LABEL_FIELDS",
    "LabelRecord",
    "Record",
    "SummaryRecord",
    "label_record",
    "summary_record",
]


@dataclass(frozen=True)
class LabelRecord:
    """One labelled article: where it came from, its themes and why, summary and keywords.

    ``labels`` are the themes at or over their decision point, best first; ``scores`` hold
    every theme's score; ``evidence`` maps each label to ``[term, weight]`` pairs.
    """

    source: str
    id: str
    article: int
    title: str
    labels: list[str]
    scores: dict[str, float]
    summary: str
    keywords: list[str]
    evidence: dict[str, list[list[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, keys in field order (written out by hand: it runs per article)."""
        return {"source": self.source, "id": self.id, "article": self.article,
                "title": self.title, "labels": self.labels, "scores": self.scores,
                "summary": self.summary, "keywords": self.keywords, "evidence": self.evidence}


LABEL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LabelRecord))

# What one input or JSONL line turns into in the output.
Record = LabelRecord | Failure


def label_record(article: Article, prediction: Prediction, summary: str,
                 keywords: list[str]) -> LabelRecord:
    """The record of one article from its prediction, summary text and keywords."""
    return LabelRecord(source=article.source, id=article.key, article=article.index,
                       title=article.title, labels=prediction.labels, scores=prediction.scores,
                       summary=summary, keywords=keywords, evidence=prediction.evidence)


@dataclass(frozen=True)
class SummaryRecord:
    """What ``summarize`` prints for one article."""

    source: str
    id: str
    article: int
    title: str
    summary: str
    keywords: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, keys in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def summary_record(article: Article, *, sentences: int = 3, max_chars: int = 150,
                   method: str = "lead", k: int = 5,
                   scorer: KeywordScorer | None = None) -> SummaryRecord:
    """Summary and keywords of one article.

    ``scorer`` weighs keyword candidates (``ThemeModel.keyword_scorer()``); without it, by
    term frequency alone.
    """
    from classifier.summary.keyterms import keywords  # loads the segmenter: only when asked

    summary = summarize(article.text, sentences=sentences, max_chars=max_chars, method=method)
    return SummaryRecord(source=article.source, id=article.key, article=article.index,
                         title=article.title, summary=summary.text,
                         keywords=keywords(article.text, k=k, title=article.title,
                                           normalized=True, scorer=scorer))
