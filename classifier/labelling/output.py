"""What ``label`` writes and shows: JSONL/CSV records, the ``--resume`` scan, progress.

See ``classifier.labelling.runner`` for the resume contract this module implements.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.errors import UsageError
from classifier.labelling.records import LABEL_FIELDS, Record
from classifier.labelling.tasks import chunk_of, iter_paths
from classifier.text.article import Failure

__all__ = ["BOM", "CSV_COLUMNS", "FORMATS", "SCORE_PREFIX", "LabelProgress", "completed_tasks",
           "csv_columns", "csv_header", "format_records", "printable_name"]

FORMATS = ("jsonl", "csv")
# One column per LabelRecord field, then those of an error record (``Failure``); a CSV file
# then has one ``score:<theme>`` column per theme of the model (``csv_columns``).
CSV_COLUMNS = (*LABEL_FIELDS, "error", "line")
SCORE_PREFIX = "score:"
# Excel opens a CSV file as UTF-8 only when it starts with a byte-order mark (``--excel``).
BOM = "\ufeff"

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable_name(name: str) -> str:
    """A file name as it is written in records: control characters (a newline in a name) and
    the undecodable bytes of a non-UTF-8 name become backslash escapes, so every record stays
    one line of valid UTF-8 and ``--resume`` finds the name again (issue 15, item 6)."""
    return _UNPRINTABLE.sub(_escape, name) if _UNPRINTABLE.search(name) else name


def _writable(text: str) -> str:
    """A message without lone surrogates (they name a non-UTF-8 file)."""
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


def csv_columns(labels: Sequence[str] = ()) -> tuple[str, ...]:
    """CSV columns: the record's fields, the error fields, one score column per theme."""
    return (*CSV_COLUMNS, *(SCORE_PREFIX + label for label in labels))


def _one_line(value: object) -> str:
    return str(value).replace("\r", " ").replace("\n", " ")


def _csv_row(rec: Record) -> dict[str, object]:
    """A record as CSV cells: lists joined with ``;``, mappings as JSON, one line per record."""
    if isinstance(rec, Failure):
        return {"source": printable_name(rec.source), "error": _one_line(_writable(rec.error)),
                "line": rec.line or ""}
    row: dict[str, object] = {
        "source": printable_name(rec.source), "id": _one_line(_writable(rec.id)),
        "article": rec.article,
        "title": _one_line(rec.title), "labels": ";".join(rec.labels),
        "scores": json.dumps(rec.scores, ensure_ascii=False),
        "summary": _one_line(rec.summary), "keywords": ";".join(map(_one_line, rec.keywords)),
        "evidence": json.dumps(rec.evidence, ensure_ascii=False)}
    for label, score in rec.scores.items():
        row[SCORE_PREFIX + label] = score
    return row


def _json_line(rec: Record) -> str:
    out = rec.to_dict()
    out["source"] = printable_name(rec.source)
    if isinstance(rec, Failure):
        out["error"] = _writable(rec.error)
    else:
        out["id"] = _writable(rec.id)  # a page's id holds its file name
    return json.dumps(out, ensure_ascii=False) + "\n"


def _csv_writer(buf: io.StringIO, labels: Sequence[str]) -> csv.DictWriter[str]:
    # Score columns of themes a record lacks stay empty; scores of themes not in ``labels``
    # (none, for records of the model that gave the labels) have no column.
    return csv.DictWriter(buf, fieldnames=csv_columns(labels), restval="",
                          extrasaction="ignore", lineterminator="\n")


def format_records(records: Sequence[Record], fmt: str, labels: Sequence[str] = ()) -> str:
    """Records as output text: JSON lines, or CSV rows (without the header) whose score
    columns are those of ``labels`` (the model's themes)."""
    if fmt == "jsonl":
        return "".join(map(_json_line, records))
    buf = io.StringIO()
    _csv_writer(buf, labels).writerows(_csv_row(r) for r in records)
    return buf.getvalue()


def csv_header(labels: Sequence[str] = (), *, bom: bool = False) -> str:
    """The CSV header line (written once, at the top of a new output)."""
    buf = io.StringIO()
    _csv_writer(buf, labels).writeheader()
    return (BOM if bom else "") + buf.getvalue()


def _line_key(raw: bytes, fmt: str, columns: Sequence[str]) -> tuple[str, int]:
    text = raw.decode("utf-8")
    if fmt == "jsonl":
        rec = json.loads(text)
        source, article, line = rec["source"], rec.get("article"), rec.get("line")
    else:
        row = next(csv.DictReader([text], fieldnames=columns, strict=True))
        if None in row or any(v is None for v in row.values()):
            raise ValueError(f"expected {len(columns)} columns")
        source = row["source"]
        article = int(row["article"]) if row["article"] else None
        line = int(row["line"]) if row["line"] else None
    if line is None and isinstance(article, int):
        line = article + 1
    return (str(source), chunk_of(str(source), line))


def completed_tasks(out: Path, fmt: str, labels: Sequence[str] = ()) -> set[tuple[str, int]]:
    """Keys ``(printable source, chunk)`` of the tasks complete in ``out``; truncates the
    possibly partial last task. A CSV header may carry the Excel byte-order mark."""
    done: set[tuple[str, int]] = set()
    header = csv_header(labels).encode("utf-8") if fmt == "csv" else b""
    columns = csv_columns(labels)
    with out.open("r+b") as fh:
        offset = block_start = 0
        last: tuple[str, int] | None = None
        for number, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                break  # a partial line left by a hard kill
            if number == 1 and header:
                if raw.removeprefix(BOM.encode("utf-8")) != header:
                    raise UsageError(f"{out} does not start with the CSV header of label "
                                     "output for this model; give a new --out, the right "
                                     "--format or the model that wrote it")
                offset = block_start = len(raw)
                continue
            try:
                key = _line_key(raw, fmt, columns)
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise UsageError(f"{out}:{number}: not a {fmt} label record ({exc}); refusing "
                                 "to resume into it (give a new --out or the right --format)"
                                 ) from None
            if key != last:
                if last is not None:
                    done.add(last)
                last, block_start = key, offset
            offset += len(raw)
        fh.truncate(block_start)
    return done


class LabelProgress:
    """Rich progress on stderr (files, articles/s, ETA by bytes), started at the first result.

    Starting late matters: the worker pool forks at its first task, and forking while rich's
    refresh thread runs could copy a held lock into a worker.
    """

    def __init__(self, enabled: bool, inputs: Sequence[str], glob: str, exclude: Path | None):
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        self._t0 = time.perf_counter()
        self._files = self._total = self._pending = 0
        if enabled:  # a cheap walk (names and sizes only) gives the totals for the ETA
            for name, _ in iter_paths(inputs, glob=glob, exclude=exclude):
                self._files += 1
                self._total += os.stat(name).st_size if os.path.isfile(name) else 0

    def skip(self, nbytes: int) -> None:
        """Count the bytes of a task skipped by --resume (shown with the next result)."""
        self._pending += nbytes

    def update(self, nbytes: int, *, files: int, articles: int, errors: int) -> None:
        """Show one more finished task and the running totals."""
        if not self.enabled:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True))
            self._task = self._bar.add_task("", total=self._total or None)
            self._bar.start()
        rate = articles / max(time.perf_counter() - self._t0, 1e-9)
        self._bar.update(self._task, advance=nbytes + self._pending, description=(
            f"{files}/{self._files} files · {articles} articles · {errors} errors · "
            f"{rate:.0f} articles/s"))
        self._pending = 0

    def close(self) -> None:
        """Stop the display (leaving its last state on screen)."""
        if self._bar is not None:
            self._bar.stop()
