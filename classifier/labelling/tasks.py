"""Input discovery for batch labelling: command-line inputs → a lazy stream of tasks.

An input is a file, a directory (searched recursively for names matching a glob, ``*.txt`` by
default), a ``.jsonl`` file of ``{"id", "title"?, "text"}`` records, or ``-`` for stdin.

Everything here is lazy so memory stays flat in the number of files: directories are walked one
at a time in sorted name order (deterministic output), and a JSONL file is read in chunks of
``CHUNK_LINES`` physical lines. Symlinked directories are followed once: the real path of every
directory entered is remembered, so a symlink loop (or two links to one folder) is not walked
twice. An entry that cannot be read (a directory without permission, a dangling or looping
symlink matching the glob) becomes a task carrying an error record, never an exception.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from classifier.errors import InputError
from classifier.text.article import Article, Failure
from classifier.text.decode import Decoded
from classifier.text.jsonl import JsonlFile, RawLine, is_jsonl, parse_line, text_lines
from classifier.text.reader import STDIN, articles_from_decoded, read_input, stdin_is_jsonl

__all__ = ["CHUNK_LINES", "WHOLE", "Task", "chunk_of", "iter_paths", "iter_tasks", "task_items"]

# Physical lines per JSONL task. Chunk ids are derived from line numbers with this constant, so
# the output of a run identifies which chunks are complete (see classifier.labelling.runner).
# Changing it between an interrupted run and its resume is still safe: resume works at line
# granularity.
CHUNK_LINES = 256
# The chunk id of a whole-file task (text pages, stdin, an unreadable JSONL file).
WHOLE = -1


@dataclass(frozen=True)
class Task:
    """One unit of work: a text file, a chunk of JSONL lines, stdin text, or a ready error.

    ``key`` = (source, chunk) identifies the task in the output for ``--resume``.
    """

    kind: str  # "file" | "jsonl" | "text" | "error"
    source: str
    chunk: int = WHOLE
    first_line: int = 1  # 1-based number of lines[0] (jsonl)
    lines: tuple[RawLine, ...] = ()  # JSONL lines as read (jsonl)
    text: str = ""  # decoded stdin text (text)
    encoding: str = ""  # of the stdin text, or of the JSONL lines
    error: str = ""  # the error message (error)
    nbytes: int = 0  # input bytes covered, for progress and MB/s

    @property
    def key(self) -> tuple[str, int]:
        """Where this task's records sit in the output: (source, chunk id)."""
        return (self.source, self.chunk)


def chunk_of(source: str, line: int | None) -> int:
    """The chunk id of a record from ``source`` at 1-based JSONL ``line`` (WHOLE for pages)."""
    if line is None or line < 1 or not is_jsonl(source):
        return WHOLE
    return (line - 1) // CHUNK_LINES


def iter_paths(inputs: Iterable[str], *, glob: str = "*.txt",
               exclude: Path | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(name, error)`` per file input, in order; ``error`` is "" for readable entries.

    Explicit files are taken whatever their name; directories contribute files matching
    ``glob`` (on the file name). ``exclude`` (the output file) is never taken from a directory.
    An input given twice on the command line is taken once.
    """
    seen_dirs: set[str] = set()
    seen_args: set[str] = set()
    skip = os.path.realpath(exclude) if exclude is not None else None
    for name in inputs:
        if name in seen_args:
            continue
        seen_args.add(name)
        if name == STDIN:
            yield name, ""
        elif os.path.isdir(name):
            yield from _walk(name, glob, seen_dirs, skip)
        elif os.path.lexists(name):
            yield name, ""
        else:
            yield name, f"{name}: no such file or directory"


def _walk(top: str, glob: str, seen: set[str], skip: str | None) -> Iterator[tuple[str, str]]:
    real = os.path.realpath(top)
    if real in seen:  # a symlink loop or a second link to a folder already walked
        return
    seen.add(real)
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield top, f"{top}: cannot list directory ({exc.strerror or exc})"
        return
    for entry in entries:
        path = os.path.join(top, entry.name)
        try:
            is_dir = entry.is_dir()  # follows symlinks; False for dangling or looping links
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, glob, seen, skip)
        elif fnmatchcase(entry.name, glob) and (skip is None or os.path.realpath(path) != skip):
            yield path, _special(path)


def _special(path: str) -> str:
    """An error for a FIFO, socket or device found in a folder (reading a FIFO would wait for
    a writer forever: issue 15, item 8), else "" (dangling links fail later, when read)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    if stat.S_ISREG(mode):
        return ""
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device")
    return f"{path}: {kind}, not a regular file; skipped"


def iter_tasks(inputs: Iterable[str], *, glob: str = "*.txt", max_bytes: int,
               exclude: Path | None = None, stdin_format: str = "auto") -> Iterator[Task]:
    """Tasks for every input, in input order (JSONL files streamed chunk by chunk; standard
    input as text or JSONL, see ``classifier.text.reader.stdin_is_jsonl``)."""
    for name, error in iter_paths(inputs, glob=glob, exclude=exclude):
        if error:
            yield Task("error", name, error=error)
        elif name == STDIN:
            yield from _stdin_tasks(max_bytes, stdin_format)
        elif is_jsonl(name):
            yield from _jsonl_tasks(name, max_bytes)
        else:
            yield Task("file", name, nbytes=_size(name))


def _size(name: str) -> int:
    try:
        return os.stat(name).st_size
    except OSError:
        return 0


def _stdin_tasks(max_bytes: int, stdin_format: str) -> Iterator[Task]:
    """Standard input as one page of text, or as JSONL chunks (``stdin_format``)."""
    try:
        decoded = read_input(STDIN, max_bytes=max_bytes)
    except InputError as exc:
        yield Task("error", "<stdin>", error=str(exc))
        return
    if not stdin_is_jsonl(decoded, stdin_format):
        yield Task("text", decoded.source, text=decoded.text, encoding=decoded.encoding,
                   nbytes=len(decoded.text.encode("utf-8")))
        return
    lines = list(text_lines(decoded.text, max_bytes))
    for start in range(0, len(lines), CHUNK_LINES):
        yield _chunk_task(decoded.source, "utf-8", lines[start:start + CHUNK_LINES])


def _jsonl_tasks(name: str, max_bytes: int,
                 open_jsonl: Callable[..., JsonlFile] = JsonlFile) -> Iterator[Task]:
    """Chunks of a JSONL file (``classifier.text.jsonl`` reads the lines, bounded by
    ``max_bytes``); a file that cannot be opened, looks binary or is empty is one error task.
    ``open_jsonl`` opens it (``classifier.labelling.storage`` passes one for fsspec URLs)."""
    try:
        jsonl = open_jsonl(name, max_bytes=max_bytes)
    except InputError as exc:
        yield Task("error", name, error=str(exc))
        return
    with jsonl:
        chunk: list[RawLine] = []
        found = False
        try:
            for raw in jsonl.lines():
                found = found or not raw.blank
                chunk.append(raw)
                if raw.number % CHUNK_LINES == 0:
                    yield _chunk_task(name, jsonl.encoding, chunk)
                    chunk = []
        except OSError as exc:
            yield Task("error", name, error=f"{name}: read failed ({exc.strerror or exc})")
            return
        if chunk:
            yield _chunk_task(name, jsonl.encoding, chunk)
        if not found:
            yield Task("error", name, error=f"{name}: file is empty (no record lines)")


def _chunk_task(name: str, encoding: str, lines: list[RawLine]) -> Task:
    first = lines[0].number
    return Task("jsonl", name, chunk=(first - 1) // CHUNK_LINES, first_line=first,
                lines=tuple(lines), encoding=encoding, nbytes=sum(r.nbytes for r in lines))


def task_items(task: Task, *, max_bytes: int, split: bool) -> list[Article | Failure]:
    """The articles and failures of one task, in input order (runs in a worker)."""
    if task.kind == "error":
        return [Failure(task.source, task.error)]
    if task.kind == "jsonl":
        return [parse_line(raw, source=task.source, encoding=task.encoding, max_bytes=max_bytes)
                for raw in task.lines if not raw.blank]
    try:
        decoded = (Decoded(task.text, task.encoding, task.source) if task.kind == "text"
                   else read_input(task.source, max_bytes=max_bytes))
    except InputError as exc:
        return [Failure(task.source, str(exc))]
    return list(articles_from_decoded(decoded, split=split))
