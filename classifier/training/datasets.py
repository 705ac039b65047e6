"""Labelled-data readers for ``train`` and ``evaluate``; the format is detected per file.

- JSONL ``{"text", "labels": [...], "title"?, "id"?}``
- doccano JSONL ``{"text", "label": [...]}``
- Label Studio JSON export: a list of tasks ``{"data": {"text", "title"?}, "annotations":
  [{"result": [{"type": "choices", "value": {"choices": [...]}}]}]}``
- CSV with ``text`` and ``labels`` columns (labels separated by ``;`` or ``|``), optional
  ``title`` and ``id``.

A bad row raises DataError naming ``file:line``, or is skipped and counted (``skip_bad``).
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import DataError

__all__ = ["Example", "read_examples"]

log = logging.getLogger(__name__)
_SPLIT = re.compile(r"[;|]")


@dataclass(frozen=True)
class Example:
    """One labelled article."""

    id: str
    title: str
    text: str
    labels: tuple[str, ...]


def _text(value: Any, where: str, field: str) -> str:
    """A string field; a lone surrogate (``"\\ud800"`` in JSON) is refused here, since no
    UTF-8 output and no tokenizer can carry it."""
    if not isinstance(value, str):
        raise DataError(f"{where}: {field!r} must be a string, got {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataError(f"{where}: {field!r} holds a lone surrogate "
                        f"({value[exc.start]!r}) at character {exc.start}: fix the data"
                        ) from None
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _labels(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: labels must be a list of strings, got {_shown(value)}")
    return tuple(dict.fromkeys(v.strip() for v in (_text(v, where, "labels") for v in value)
                               if v.strip()))


def _record(obj: Any, where: str, default_id: str) -> Example:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise DataError(f"{where}: missing or non-string 'text'")
    _text(text, where, "text")
    if "labels" in obj:
        labels = _labels(obj["labels"], where)
    elif "label" in obj:  # doccano
        labels = _labels(obj["label"], where)
    else:
        raise DataError(f"{where}: no 'labels' (or doccano 'label') field")
    title = _text(obj.get("title") or "", where, "title")
    rid = obj.get("id")
    if not isinstance(rid, (str, int, type(None))) or isinstance(rid, bool):
        raise DataError(f"{where}: 'id' must be a string or an integer, got {_shown(rid)}")
    rid = _text(str(rid), where, "id") if rid not in (None, "") else default_id
    return Example(rid, title, text, labels)


def _studio_task(task: Any, where: str, default_id: str) -> Example:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise DataError(f"{where}: a Label Studio task needs a 'data' object")
    data = task["data"]
    text = data.get("text")
    if not isinstance(text, str):
        raise DataError(f"{where}: task data has no string 'text'")
    _text(text, where, "text")
    choices: list[Any] = []
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise DataError(f"{where}: 'annotations' must be a list, got {_shown(annotations)}")
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict) or not isinstance(ann.get("result") or [], list):
            raise DataError(f"{where}: annotations[{i}] must be an object with a 'result' "
                            f"list, got {_shown(ann)}")
        for res in ann.get("result") or []:
            if isinstance(res, dict) and res.get("type") == "choices":
                value = res.get("value") or {}
                found = value.get("choices") if isinstance(value, dict) else None
                if not isinstance(found, list):
                    raise DataError(f"{where}: annotations[{i}]: a 'choices' result needs "
                                    f"value.choices, a list, got {_shown(value)}")
                choices.extend(found)
    rid = data.get("id", task.get("id"))
    title = data.get("title") or ""
    return Example(str(rid) if rid not in (None, "") else default_id,
                   _text(str(title), where, "title"), text, _labels(choices, where))


def _collect(rows: Iterable[tuple[str, Any]], parse: Callable[[Any, str], Example],
             skip_bad: bool) -> tuple[list[Example], int]:
    """Parse ``(where, raw)`` rows; a bad one raises, or is skipped and counted."""
    out: list[Example] = []
    bad = 0
    for where, raw in rows:
        try:
            out.append(parse(raw, where))
        except DataError:
            if not skip_bad:
                raise
            bad += 1
    return out, bad


def _jsonl_row(line: str, where: str) -> Example:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"{where}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer over Python's digit limit
        raise DataError(f"{where}: invalid JSON ({exc})") from None
    return _record(obj, where, where)


def _studio_row(task: Any, where: str) -> Example:
    return _studio_task(task, where, where)


def _csv_row(row: dict[str | None, Any], where: str) -> Example:
    text, labels = row.get("text"), row.get("labels")
    if text is None or labels is None or None in row:
        raise DataError(f"{where}: wrong number of columns")
    return Example(row.get("id") or where, row.get("title") or "", _text(text, where, "text"),
                   _labels(_SPLIT.split(labels), where))


def _read_jsonl(path: Path, skip_bad: bool) -> tuple[list[Example], int]:
    with path.open(encoding="utf-8-sig") as f:
        rows = ((f"{path}:{n}", line) for n, line in enumerate(f, 1) if line.strip())
        return _collect(rows, _jsonl_row, skip_bad)


def _read_studio(path: Path, skip_bad: bool) -> tuple[list[Example], int]:
    try:
        tasks = json.loads(path.read_text("utf-8-sig"))
    except RecursionError:
        raise DataError(f"{path}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise DataError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(tasks, list):
        raise DataError(f"{path}: a Label Studio export is a JSON list of tasks")
    rows = ((f"{path}:task {i}", task) for i, task in enumerate(tasks, 1))
    return _collect(rows, _studio_row, skip_bad)


def _read_csv(path: Path, skip_bad: bool) -> tuple[list[Example], int]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        if "text" not in fields or "labels" not in fields:
            raise DataError(f"{path}:1: CSV needs 'text' and 'labels' columns, has {fields}")
        return _collect(_csv_rows(reader, path, skip_bad), _csv_row, skip_bad)


def _csv_rows(reader: csv.DictReader[str], path: Path, skip_bad: bool,
              ) -> Iterator[tuple[str, Any]]:
    """(where, row) of each CSV row; a row the csv module cannot read (a field over its
    131,072-character limit) raises DataError or, with ``skip_bad``, yields an unparseable
    placeholder that ``_collect`` counts as skipped."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            where = f"{path}:{reader.line_num + 1}"
            if not skip_bad:
                raise DataError(f"{where}: unreadable CSV row ({exc})") from None
            yield where, {}
            continue
        # line_num is read as each row is produced, so it names that row's line.
        yield f"{path}:{reader.line_num}", row


def read_examples(path: str | Path, *, skip_bad: bool = False) -> tuple[list[Example], int]:
    """(examples, number of skipped bad rows) of one data file, format auto-detected."""
    p = Path(path)
    if p.is_dir():
        raise DataError(f"{p} is a folder: give the labelled data files themselves (JSONL, "
                        "Label Studio JSON or CSV)")
    if not p.is_file():
        raise DataError(f"{p}: no such data file")
    try:
        if p.suffix.lower() == ".csv":
            result = _read_csv(p, skip_bad)
        else:
            with p.open(encoding="utf-8-sig") as f:
                head = f.read(4096).lstrip()
            if head.startswith("["):
                result = _read_studio(p, skip_bad)
            else:
                result = _read_jsonl(p, skip_bad)
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise DataError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if result[1]:
        log.warning("%s: skipped %d bad rows", p, result[1])
    return result
