"""Result types of the text pipeline: an article, the lines removed from it, and an input (or
JSONL line) that could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Article", "Dropped", "Failure"]


@dataclass(frozen=True)
class Dropped:
    """A line the cleaner removed, kept so that nothing is lost silently.

    ``reason`` is one of: ``spam``, ``boilerplate``, ``link_list``, ``copyright``,
    ``masthead``, ``photo_caption``, ``photo_credit``, ``duplicate``, ``empty_label``,
    ``mojibake`` (a warning: the text was kept, repaired where possible).
    """

    text: str
    reason: str
    line: int = 0  # 1-based line number in the decoded input, 0 when unknown

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"text": self.text, "reason": self.reason, "line": self.line}


@dataclass(frozen=True)
class Article:
    """One article of a page, in reading order.

    ``title`` joins ``title_lines`` (kicker, main title, subtitle) with a space, the way
    People's Daily records do. ``paragraphs`` is the cleaned body; ``editor_summary`` holds
    the 阅读提示/摘要 box, which never stays in the body.
    """

    source: str
    index: int
    title_lines: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()
    column: str = ""
    byline: str = ""
    editor_summary: str = ""
    dropped: tuple[Dropped, ...] = ()
    id: str = ""
    encoding: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        """Headline lines joined by a space."""
        return " ".join(self.title_lines)

    @property
    def text(self) -> str:
        """Body paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)

    @property
    def key(self) -> str:
        """Stable identifier: the record id for JSONL input, else ``<source>#<index>``."""
        return self.id or f"{self.source}#{self.index}"

    def to_dict(self) -> dict[str, Any]:
        """The ``split`` command's record."""
        return {
            "source": self.source,
            "id": self.key,
            "article": self.index,
            "title": self.title,
            "title_lines": list(self.title_lines),
            "column": self.column,
            "byline": self.byline,
            "text": self.text,
            "editor_summary": self.editor_summary,
            "dropped": [d.to_dict() for d in self.dropped],
        }


@dataclass(frozen=True)
class Failure:
    """An input (or one JSONL line) that could not be turned into articles.

    ``error`` names the input (and line) and says what to do; ``line`` is the 1-based JSONL
    line, 0 for a whole input.
    """

    source: str
    error: str
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The error record emitted in place of articles."""
        out: dict[str, Any] = {"source": self.source, "error": self.error}
        if self.line:
            out["line"] = self.line
        return out
