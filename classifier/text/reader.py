"""From inputs (paths, ``-`` for stdin, JSONL files) to articles.

This is the one entry point the CLI, the batch runner and the HTTP service use to turn what a
user hands over into ``Article`` objects. Unreadable inputs (and bad JSONL lines) become
``Failure`` records instead of stopping the run. JSONL files are read by
``classifier.text.jsonl``, which holds the JSONL policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from classifier.errors import InputError
from classifier.text.article import Article, Dropped, Failure
from classifier.text.decode import DEFAULT_MAX_BYTES, Decoded, read_path, read_stdin
from classifier.text.jsonl import JsonlFile, is_jsonl, parse_line
from classifier.text.splitter import split_articles

__all__ = [
    "STDIN",
    "articles_from_decoded",
    "articles_from_text",
    "read_articles",
    "read_input",
    "read_jsonl",
]

STDIN = "-"


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
    inputs: Iterable[str], *, split: bool = True, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Article | Failure]:
    """Articles of every input in order; an unreadable input yields one ``Failure``.

    ``max_bytes`` limits each text file, and each line of a JSONL file.
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
        yield from articles_from_decoded(decoded, split=split)
