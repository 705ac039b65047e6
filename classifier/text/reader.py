"""From inputs (paths, ``-`` for stdin, JSONL records) to articles.

This is the one entry point the CLI, the batch runner and the HTTP service use to turn
what a user hands over into ``Article`` objects. Unreadable inputs become ``Failure``
records instead of stopping the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from classifier.errors import InputError
from classifier.text.article import Article, Dropped
from classifier.text.decode import DEFAULT_MAX_BYTES, Decoded, read_path, read_stdin
from classifier.text.normalize import normalize_text
from classifier.text.splitter import split_articles

__all__ = [
    "Failure",
    "article_from_line",
    "article_from_record",
    "articles_from_decoded",
    "articles_from_text",
    "read_articles",
    "read_input",
]

STDIN = "-"


@dataclass(frozen=True)
class Failure:
    """An input (or one JSONL line) that could not be turned into articles."""

    source: str
    error: str
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The error record emitted in place of articles."""
        out: dict[str, Any] = {"source": self.source, "error": self.error}
        if self.line:
            out["line"] = self.line
        return out


def articles_from_text(text: str, *, source: str = "<text>", split: bool = True) -> list[Article]:
    """Clean a page of text and split it into articles (one when ``split`` is off)."""
    return split_articles(text, source=source, split=split)


def article_from_record(record: Any, *, source: str, line: int) -> Article:
    """One JSONL record ``{"id", "title"?, "text"}`` → one article (never split).

    Raises ``InputError`` naming the file and line when the record is not of that form.
    """
    where = f"{source}:{line}"
    if not isinstance(record, dict):
        raise InputError(f'{where}: expected a JSON object like {{"id": ..., "text": ...}}')
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(f'{where}: record has no "text" string; add one to each line')
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise InputError(f'{where}: "title" must be a string, got {type(title).__name__}')
    rid = record.get("id")
    key = str(rid) if rid is not None else f"{source}#{line}"
    (article,) = split_articles(text, source=source, split=False)
    if not title:
        return replace(article, index=line - 1, id=key)
    lines = tuple(t for t in normalize_text(title).split("\n") if t)
    body = article.paragraphs
    if article.title_lines:  # the text began with a title-like line: keep it as body
        body = (*article.title_lines, *body)
    # one replace, not two: it is a slow call, made for every JSONL record
    return replace(article, title_lines=lines, paragraphs=body, index=line - 1, id=key)


def article_from_line(raw: str, *, source: str, line: int) -> Article | Failure:
    """One JSONL line → its article, or a ``Failure`` naming the file and line."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Failure(source, f"{source}:{line}: invalid JSON ({exc.msg})", line)
    try:
        return article_from_record(record, source=source, line=line)
    except InputError as exc:
        return Failure(source, str(exc), line)


def _jsonl_articles(decoded: Decoded) -> Iterator[Article | Failure]:
    for number, raw in enumerate(decoded.text.split("\n"), start=1):
        if raw.strip():
            yield article_from_line(raw, source=decoded.source, line=number)


def articles_from_decoded(decoded: Decoded, *, split: bool = True,
                          jsonl: bool = False) -> Iterator[Article | Failure]:
    """Articles of one decoded input; decoding warnings ride on its first article."""
    if jsonl:
        yield from _jsonl_articles(decoded)
        return
    articles = split_articles(decoded.text, source=decoded.source, split=split)
    notes = tuple(Dropped(w, "encoding") for w in decoded.warnings)
    for n, article in enumerate(articles):
        extra = notes if n == 0 else ()
        yield replace(article, encoding=decoded.encoding, dropped=extra + article.dropped)


def read_input(name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Decode a path, or standard input for ``-``."""
    if name == STDIN:
        return read_stdin(max_bytes=max_bytes)
    return read_path(name, max_bytes=max_bytes)


def is_jsonl(name: str) -> bool:
    """JSONL inputs hold one article per line."""
    return Path(name).suffix.lower() in (".jsonl", ".ndjson")


def read_articles(
    inputs: Iterable[str], *, split: bool = True, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Article | Failure]:
    """Articles of every input in order; an unreadable input yields one ``Failure``."""
    for name in inputs:
        try:
            decoded = read_input(name, max_bytes=max_bytes)
        except InputError as exc:
            yield Failure(name, str(exc))
            continue
        yield from articles_from_decoded(decoded, split=split, jsonl=is_jsonl(name))

