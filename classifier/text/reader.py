"""From inputs (paths, ``-`` for stdin, JSONL files) to articles.

This is the one entry point the CLI, the batch runner and the HTTP service use to turn what a
user hands over into ``Article`` objects. Unreadable inputs (and bad JSONL lines) become
``Failure`` records instead of stopping the run. JSONL files are read by
``classifier.text.jsonl``, which holds the JSONL policy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace

from classifier.errors import InputError, OptionError
from classifier.text.article import Article, Dropped, Failure
from classifier.text.decode import DEFAULT_MAX_BYTES, Decoded, read_path, read_stdin
from classifier.text.jsonl import (
    STDIN_FORMATS,
    JsonlFile,
    is_jsonl,
    looks_like_jsonl,
    parse_line,
    text_lines,
)
from classifier.text.splitter import split_articles

__all__ = [
    "STDIN",
    "articles_from_decoded",
    "articles_from_text",
    "read_articles",
    "read_input",
    "read_jsonl",
    "stdin_is_jsonl",
    "stdin_jsonl",
]

STDIN = "-"
log = logging.getLogger(__name__)


def stdin_is_jsonl(decoded: Decoded, stdin_format: str) -> bool:
    """Whether standard input is read as JSONL (``auto``: when it looks like it); says so."""
    if stdin_format not in STDIN_FORMATS:
        raise OptionError(f"stdin_format must be one of {', '.join(STDIN_FORMATS)}, got "
                          f"{stdin_format!r}")
    if stdin_format != "auto":
        return stdin_format == "jsonl"
    found = looks_like_jsonl(decoded.text)
    log.info("reading standard input as %s; pass --stdin-format %s to read it as %s",
             *(("JSONL (one record per line)", "text", "one page") if found
               else ("one page of text", "jsonl", "JSONL")))
    return found


def stdin_jsonl(decoded: Decoded, max_bytes: int) -> Iterator[Article | Failure]:
    """Articles of standard input read as JSONL, one per non-blank line."""
    for raw in text_lines(decoded.text, max_bytes):
        if not raw.blank:
            yield parse_line(raw, source=decoded.source, encoding="utf-8", max_bytes=max_bytes)


def articles_from_text(text: str, *, source: str = "<text>", split: bool = True) -> list[Article]:
    """Clean a page of text and split it into articles (one when ``split`` is off)."""
    return split_articles(text, source=source, split=split)


def articles_from_decoded(decoded: Decoded, *, split: bool = True) -> Iterator[Article]:
    """Articles of one decoded page; decoding warnings ride on its first article."""
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


def read_jsonl(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | Failure]:
    """Articles of a JSONL file, one per record line; a bad line or file yields a ``Failure``."""
    try:
        jsonl = JsonlFile(path, max_bytes=max_bytes)
    except InputError as exc:
        yield Failure(path, str(exc))
        return
    found = False
    with jsonl:
        for raw in jsonl.lines():
            if raw.blank:
                continue
            found = True
            yield parse_line(raw, source=path, encoding=jsonl.encoding, max_bytes=max_bytes)
    if not found:
        yield Failure(path, f"{path}: file is empty (no record lines)")


def read_articles(
    inputs: Iterable[str], *, split: bool = True, max_bytes: int = DEFAULT_MAX_BYTES,
    stdin_format: str = "auto",
) -> Iterator[Article | Failure]:
    """Articles of every input in order; an unreadable input yields one ``Failure``.

    ``max_bytes`` limits each text file, and each line of a JSONL file. Standard input (``-``)
    is one page of text, or JSONL (``stdin_format``: ``auto`` detects it).
    """
    for name in inputs:
        if name != STDIN and is_jsonl(name):
            yield from read_jsonl(name, max_bytes=max_bytes)
            continue
        try:
            decoded = read_input(name, max_bytes=max_bytes)
        except InputError as exc:
            yield Failure(name, str(exc))
            continue
        if name == STDIN and stdin_is_jsonl(decoded, stdin_format):
            yield from stdin_jsonl(decoded, max_bytes)
            continue
        yield from articles_from_decoded(decoded, split=split)
