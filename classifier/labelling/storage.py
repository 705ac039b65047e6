"""Inputs and output given as fsspec URLs (``s3://``, ``hdfs://``, ``memory://`` ...).

Only names with a scheme go through fsspec; every other name takes the local code path of
``classifier.labelling.tasks`` and ``classifier.labelling.runner`` unchanged. ``file://`` URLs
are turned into local paths first, so they behave exactly like the paths they name (locks,
``--resume`` in place, special files).

What a URL input becomes:

* a ``.jsonl``/``.ndjson`` object is streamed in chunks of ``CHUNK_LINES`` lines with the same
  encoding and size policy as a local JSONL file (``classifier.text.jsonl``);
* any other object is read (at most ``max_bytes``) and decoded on the client, and travels as
  text, so a worker needs no access to the store (``memory://`` lives in one process only);
* a "directory" (prefix) contributes the objects under it whose name matches ``glob``, in
  sorted order.

A URL output is written as a stream (object stores cannot append or truncate). ``--resume``
copies the existing object to a local temporary file, applies the usual scan
(``classifier.labelling.output.completed_tasks``, which drops the last, possibly partial task),
and writes that prefix again before the new records: the object ends up exactly as a local
``--resume`` would leave the file.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import unquote, urlsplit

from classifier.errors import InputError, OutputError, UsageError
from classifier.labelling.output import completed_tasks
from classifier.labelling.tasks import Task, _jsonl_tasks, iter_tasks
from classifier.text.decode import decode_bytes
from classifier.text.jsonl import HEAD_BYTES, JsonlFile, is_jsonl, sniff_encoding

__all__ = ["RemoteOutput", "is_url", "iter_input_tasks", "local_name"]

# A scheme of two or more characters: "C:\\x" (a Windows drive) is a path, not a URL.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_INSTALL = "pip install 'classifier[dask]' (or fsspec and the backend for that scheme)"


def is_url(name: object) -> bool:
    """Whether ``name`` is a string with a URL scheme (``s3://bucket/key``)."""
    return isinstance(name, str) and bool(_SCHEME.match(name))


def local_name(name: str) -> str:
    """``file:///a/b`` (or ``file://localhost/a/b``) → ``/a/b``; any other name unchanged."""
    if not name.lower().startswith("file://"):
        return name
    parts = urlsplit(name)
    if parts.netloc not in ("", "localhost"):
        return name  # a file URL on another host: leave it to fsspec (it will refuse it)
    return unquote(parts.path)


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and the path inside it; UsageError when fsspec or the backend
    for the scheme is not installed."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise UsageError(f"{url}: URL inputs and outputs need fsspec: {_INSTALL}") from None
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as exc:  # unknown protocol, or its package is missing
        raise UsageError(f"{url}: no fsspec backend for this URL ({exc}); install the package "
                         "for that scheme (e.g. s3fs for s3://)") from None


def iter_input_tasks(inputs: Iterable[str], *, glob: str = "*.txt", max_bytes: int,
                     exclude: Path | None = None, exclude_url: str | None = None,
                     stdin_format: str = "auto") -> Iterator[Task]:
    """Tasks for every input in order, like ``iter_tasks``; URL inputs go through fsspec.

    Without a URL among the inputs this is ``iter_tasks`` itself. ``exclude_url`` (a URL
    output) is never taken from a URL prefix.
    """
    local = partial(iter_tasks, glob=glob, max_bytes=max_bytes, exclude=exclude,
                    stdin_format=stdin_format)
    names = list(inputs)
    if not any(is_url(n) for n in names):
        yield from local(names)
        return
    run: list[str] = []  # consecutive local inputs, walked together as iter_tasks would
    seen: set[str] = set()
    for name in names:
        if not is_url(name):
            run.append(name)
            continue
        if run:
            yield from local(run)
            run = []
        if name not in seen:
            seen.add(name)
            yield from _url_tasks(name, glob, max_bytes, exclude_url)
    if run:
        yield from local(run)


def _url_tasks(url: str, glob: str, max_bytes: int, exclude: str | None) -> Iterator[Task]:
    fs, path = _filesystem(url)
    try:
        if fs.isdir(path):
            found = sorted(p for p in fs.find(path) if fnmatchcase(p.rsplit("/", 1)[-1], glob))
            # Named as the user spelled the prefix (fsspec would write memory:///x for memory://x)
            base = path.rstrip("/")
            names = [url.rstrip("/") + p[len(base):] if p.startswith(base + "/")
                     else fs.unstrip_protocol(p) for p in found]
            names = [n for n in names if n != exclude]
        elif fs.exists(path):
            names = [url]
        else:
            yield Task("error", url, error=f"{url}: no such file or directory")
            return
    except Exception as exc:  # backends raise their own types (auth, network ...)
        yield Task("error", url, error=f"{url}: cannot list ({exc})")
        return
    for name in names:
        if is_jsonl(name):
            yield from _jsonl_tasks(name, max_bytes, open_jsonl=_open_remote_jsonl)
        else:
            yield _text_task(name, max_bytes)


class _RemoteJsonl(JsonlFile):
    """A JSONL object opened through fsspec; lines are read exactly as from a local file."""

    def __init__(self, url: str, fh: BinaryIO, *, max_bytes: int) -> None:
        # Same steps as JsonlFile.__init__, on an already open stream instead of a path.
        self.source = url
        self.max_bytes = max_bytes
        self._fh = fh
        try:
            head = fh.read(HEAD_BYTES)
            fh.seek(0)
            self.codec = sniff_encoding(head, url)
        except BaseException:
            fh.close()
            raise
        self.encoding = "utf-8" if self.codec.startswith(("utf-16", "utf-32")) else self.codec


def _open_remote_jsonl(url: str, *, max_bytes: int) -> JsonlFile:
    fs, path = _filesystem(url)
    try:
        fh = fs.open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{url}: no such file") from None
    except Exception as exc:  # backends raise their own types
        raise InputError(f"{url}: cannot read ({exc})") from None
    try:
        return _RemoteJsonl(url, fh, max_bytes=max_bytes)
    except OSError as exc:
        raise InputError(f"{url}: cannot read ({exc.strerror or exc})") from None


def _text_task(url: str, max_bytes: int) -> Task:
    """A text object read and decoded here, carried to the worker as text."""
    fs, path = _filesystem(url)
    try:
        with fs.open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except Exception as exc:  # backends raise their own types
        return Task("error", url, error=f"{url}: cannot read ({exc})")
    if len(data) > max_bytes:
        return Task("error", url, error=f"{url}: input is over the {max_bytes:,}-byte limit; "
                    "pass --max-bytes to raise it")
    try:
        decoded = decode_bytes(data, source=url)
    except InputError as exc:
        return Task("error", url, error=str(exc))
    return Task("text", url, text=decoded.text, encoding=decoded.encoding, nbytes=len(data))


class RemoteOutput:
    """``--out`` given as a URL: written as one stream, resumed through a local copy."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._fs, self._path = _filesystem(url)
        self._prefix: str | None = None  # local copy of the records kept by --resume

    def completed(self, fmt: str, labels: Sequence[str] = ()) -> set[tuple[str, int]]:
        """Keys of the tasks complete in the existing object (empty when there is none)."""
        try:
            if not self._fs.exists(self._path):
                return set()
            fd, tmp = tempfile.mkstemp(prefix="classifier-resume-", suffix="." + fmt)
            os.close(fd)
            self._prefix = tmp
            self._fs.get_file(self._path, tmp)
        except OSError as exc:
            raise UsageError(f"cannot resume into --out {self.url}: {exc}") from None
        return completed_tasks(Path(tmp), fmt, labels)

    def open(self) -> tuple[IO[str], bool]:
        """The output stream (the resumed prefix already in it), and whether it is empty."""
        try:
            raw = self._fs.open(self._path, "wb")
        except Exception as exc:  # backends raise their own types
            raise OutputError(f"cannot write --out {self.url}: {exc}") from None
        sink = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        empty = True
        if self._prefix is not None:
            sink.flush()
            with open(self._prefix, "rb") as old:
                shutil.copyfileobj(old, raw)
                empty = old.tell() == 0
            os.unlink(self._prefix)
            self._prefix = None
        return sink, empty

    def discard(self) -> None:
        """Remove the local copy of a resumed object if the run ends before writing."""
        if self._prefix is not None:
            os.unlink(self._prefix)
            self._prefix = None
