"""The one reader of JSONL input, used by every command and by the batch runner.

A JSONL input holds one article per line: ``{"id"?, "title"?, "text"}``. The policy (also in
the README, "JSONL input"):

- **Encoding** is decided once per file from its first 64 KB: a byte-order mark (UTF-8,
  UTF-16, UTF-32) wins; otherwise UTF-8 when that head is valid UTF-8; otherwise the same
  detection as for text pages (GB18030 or Big5, ``classifier.text.decode``). Every line is
  decoded with it. Bytes that do not decode are replaced with U+FFFD and the article says so
  in ``dropped`` (reason ``encoding``). A file whose head looks binary is one error.
- **Size**: the limit (``max_bytes``) applies to each line, checked while the line is read, so
  a line over the limit is never held in memory; the file itself may be of any size (it is
  streamed).
- **Lines**: numbered from 1 as physical lines; blank lines are skipped; a file with no
  record at all is one error (``file is empty``).
- **Bad lines**: a line that is not a JSON object with a string ``"text"`` (and, if present, a
  string ``"title"``), nests too deeply, holds a number too long to read, or holds a lone
  surrogate (``"\\ud800"``, which no UTF-8 output can carry) becomes one error record naming
  the file and line; its neighbours are read as usual.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from classifier.errors import InputError
from classifier.text.article import Article, Dropped, Failure
from classifier.text.decode import decode_bytes, open_input
from classifier.text.normalize import normalize_text
from classifier.text.splitter import split_articles

__all__ = [
    "HEAD_BYTES",
    "STDIN_FORMATS",
    "JsonlFile",
    "RawLine",
    "article_from_record",
    "is_jsonl",
    "looks_like_jsonl",
    "parse_line",
    "sniff_encoding",
    "text_lines",
]

# Bytes read to decide a file's encoding: enough for the detector, cheap for any file.
HEAD_BYTES = 1 << 16
_WIDE = ("utf-16", "utf-32")  # prefixes of encodings whose newline is not the byte 0x0A
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def is_jsonl(name: str) -> bool:
    """JSONL inputs (``.jsonl``, ``.ndjson``) hold one article per line."""
    return Path(name).suffix.lower() in (".jsonl", ".ndjson")


@dataclass(frozen=True)
class RawLine:
    """One physical line: its 1-based number, its bytes (None when over the limit; then
    ``nbytes`` is its length) in the file's encoding, or UTF-8 for UTF-16/32 files."""

    number: int
    data: bytes | None
    nbytes: int

    @property
    def blank(self) -> bool:
        """A line of whitespace only (skipped)."""
        return self.data is not None and not self.data.strip()


def sniff_encoding(head: bytes, source: str) -> str:
    """The codec of a JSONL file from its first bytes (see the module docstring).

    Raises ``InputError`` when the head is empty or looks binary.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if not head.strip():
        raise InputError(f"{source}: file is empty")
    if b"\x00" not in head:  # JSON text has no raw NUL: else UTF-16/32 without a BOM, or binary
        # The head may end inside a character: decode incrementally, without the final flush.
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    # Judge whole lines, as the text-page detection would (it also refuses binary); an odd
    # cut would split a UTF-16 character, so keep an even length.
    cut = head.rfind(b"\n") + 1 if b"\x00" not in head else len(head) & ~3
    encoding = decode_bytes(head[:cut] if cut > 0 else head, source=source).encoding
    return "utf-8" if encoding.startswith("utf-8") else encoding


class JsonlFile:
    """An open JSONL file: its detected ``encoding`` and its lines, read with a bounded size.

    Use as a context manager; ``lines()`` yields every physical line once.
    """

    def __init__(self, path: str, *, max_bytes: int) -> None:
        self.source = path
        self.max_bytes = max_bytes
        self._fh, _ = open_input(path)
        try:
            head = self._fh.read(HEAD_BYTES)
            self._fh.seek(0)
        except OSError as exc:
            self._fh.close()
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
        try:
            self.codec = sniff_encoding(head, path)
        except InputError:
            self._fh.close()
            raise
        # Lines of UTF-16/32 files are handed on re-encoded as UTF-8.
        self.encoding = "utf-8" if self.codec.startswith(_WIDE) else self.codec

    def __enter__(self) -> JsonlFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def lines(self) -> Iterator[RawLine]:
        """Every physical line; one over ``max_bytes`` comes with ``data=None``."""
        if self.codec.startswith(_WIDE):
            yield from _wide_lines(self._fh, self.codec, self.max_bytes)
            return
        yield from _byte_lines(self._fh, self.max_bytes)


def _byte_lines(fh: BinaryIO, max_bytes: int) -> Iterator[RawLine]:
    number = 0
    while chunk := fh.readline(max_bytes + 1):
        number += 1
        if number == 1:
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        if len(chunk) <= max_bytes:
            yield RawLine(number, chunk, len(chunk))
            continue
        size = len(chunk)  # over the limit: pass over the rest without keeping it
        while not chunk.endswith(b"\n") and (chunk := fh.readline(1 << 20)):
            size += len(chunk)
        yield RawLine(number, None, size)


def _wide_lines(fh: BinaryIO, codec: str, max_bytes: int) -> Iterator[RawLine]:
    # A character of UTF-16/32 takes at least two bytes: the bound in characters.
    text = io.TextIOWrapper(fh, encoding=codec, errors="replace", newline="")
    limit = max(max_bytes // 2, 1)
    number = 0
    while line := text.readline(limit + 1):
        number += 1
        data = line.removeprefix("\ufeff").encode("utf-8", "surrogatepass")
        if len(line) <= limit and len(data) <= max_bytes:
            yield RawLine(number, data, len(data))
            continue
        size = len(data)
        while not line.endswith("\n") and (line := text.readline(1 << 20)):
            size += len(line.encode("utf-8", "surrogatepass"))
        yield RawLine(number, None, size)
    text.detach()  # the caller closes the file


STDIN_FORMATS = ("auto", "text", "jsonl")


def looks_like_jsonl(text: str) -> bool:
    """Whether a text (standard input) reads as JSONL: its first non-blank line is a JSON
    object with a string ``"text"``. A page of news never starts like that."""
    for line in text.split("\n", 64)[:64]:
        if line.strip():
            try:
                first = json.loads(line)
            except (ValueError, RecursionError):
                return False
            return isinstance(first, dict) and isinstance(first.get("text"), str)
    return False


def text_lines(text: str, max_bytes: int) -> Iterator[RawLine]:
    """The lines of an already decoded text (standard input read as JSONL), as UTF-8."""
    for number, line in enumerate(text.split("\n"), start=1):
        data = line.encode("utf-8", "surrogatepass")
        yield RawLine(number, data if len(data) <= max_bytes else None, len(data))


def parse_line(raw: RawLine, *, source: str, encoding: str, max_bytes: int) -> Article | Failure:
    """One JSONL line → its article, or a ``Failure`` naming the file and line."""
    where = f"{source}:{raw.number}"
    if raw.data is None:
        return Failure(source, f"{where}: record is over the {max_bytes:,}-byte limit; pass "
                       "--max-bytes to raise it", raw.number)
    notes: tuple[Dropped, ...] = ()
    try:
        text = raw.data.decode(encoding)
    except UnicodeDecodeError:
        text = raw.data.decode(encoding, errors="replace")
        bad = text.count("\ufffd") - raw.data.decode(encoding, errors="ignore").count("\ufffd")
        places = "place" if bad == 1 else "places"
        notes = (Dropped(f"invalid {encoding} bytes replaced at {bad} {places}", "encoding",
                         raw.number),)
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return Failure(source, f"{where}: invalid JSON ({exc.msg})", raw.number)
    except RecursionError:
        return Failure(source, f"{where}: invalid JSON (nested too deeply)", raw.number)
    except ValueError as exc:  # e.g. an integer over Python's digit limit
        return Failure(source, f"{where}: invalid JSON ({exc})", raw.number)
    try:
        article = article_from_record(record, source=source, line=raw.number)
    except InputError as exc:
        return Failure(source, str(exc), raw.number)
    return replace(article, dropped=notes + article.dropped) if notes else article


def _check_string(value: str, field: str, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise InputError(f'{where}: "{field}" holds a lone surrogate (\\u{ord(bad):04x}), which '
                         "no UTF-8 output can carry; fix that \\u escape") from None


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
    for field, value in (("text", text), ("title", title or ""), ("id", key)):
        _check_string(value, field, where)
    (article,) = split_articles(text, source=source, split=False)
    if not title:
        return replace(article, index=line - 1, id=key)
    lines = tuple(t for t in normalize_text(title).split("\n") if t)
    body = article.paragraphs
    if article.title_lines:  # the text began with a title-like line: keep it as body
        body = (*article.title_lines, *body)
    # one replace, not two: it is a slow call, made for every JSONL record
    return replace(article, title_lines=lines, paragraphs=body, index=line - 1, id=key)
