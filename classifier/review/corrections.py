"""The corrections file: one JSON line per saved review, appended and synced before answering.

Each line is ``{"id", "title", "text", "labels", "model", "saved_at"}``, which
``classifier train CORRECTIONS.jsonl --base MODEL --out NEW`` reads as it is (a later line for
the same id wins there, as it does here).

Why the file survives a killed server:

- a save is one ``write`` of one complete line, then ``flush`` and ``os.fsync``, all before the
  HTTP answer; so every answered save is on disk;
- undo removes the last line by truncating the file to where that line began (one
  ``ftruncate``, then ``fsync``) after checking that the bytes there are still the line that
  was written, so an undo can never cut into another line;
- the only damage a kill can leave is a last line without its newline (killed inside the
  ``write``: never answered). Opening the file cuts such a torn tail off (it is reported), so
  ``train`` never sees half a line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import DataError, OutputError

__all__ = ["CORRECTION_FIELDS", "CorrectionsFile", "Saved", "read_corrections"]

log = logging.getLogger(__name__)
CORRECTION_FIELDS = ("id", "title", "text", "labels", "model", "saved_at")


@dataclass(frozen=True)
class Saved:
    """One line of the file: its record and the byte range it occupies."""

    record: dict[str, Any]
    start: int
    end: int
    raw: bytes = b""


def _parse(line: bytes, where: str) -> dict[str, Any]:
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{where}: not a corrections line ({exc}); give --out a new file or "
                        "a file written by classifier review") from exc
    if (not isinstance(row, dict) or not isinstance(row.get("id"), str)
            or not isinstance(row.get("text"), str) or not isinstance(row.get("labels"), list)):
        raise DataError(f"{where}: a corrections line needs string 'id', string 'text' and a "
                        "'labels' list; give --out a new file or a file written by "
                        "classifier review")
    row.setdefault("title", "")
    return row


def _lines(data: bytes, name: str) -> Iterator[Saved]:
    pos = 0
    number = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        number += 1
        line = data[pos:end]
        if line.strip():
            yield Saved(_parse(line, f"{name}:{number}"), pos, end, line)
        pos = end


def read_corrections(path: str | Path) -> list[dict[str, Any]]:
    """Every complete line of a corrections file, in order (a torn last line is left out).

    Raises ``DataError`` naming ``file:line`` for a line that is not a correction.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DataError(f"{p}: cannot read the corrections file ({exc.strerror or exc})") from exc
    cut = data.rfind(b"\n") + 1
    return [s.record for s in _lines(data[:cut], str(p))]


class CorrectionsFile:
    """An append-only corrections file, safe against a killed server (see module doc).

    Thread-safe: the review app calls it from FastAPI's threadpool.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.saved: list[Saved] = []
        self.torn = 0  # bytes of a torn last line cut off when opening
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot open the corrections file for writing "
                              f"({exc.strerror or exc}); choose another --out") from exc
        self._file = os.fdopen(fd, "r+b")
        try:
            data = self._file.read()
            cut = data.rfind(b"\n") + 1
            self.saved = list(_lines(data[:cut], str(self.path)))
        except BaseException:
            self._file.close()
            raise
        if cut < len(data):  # killed inside a write: that save was never answered
            self.torn = len(data) - cut
            log.warning("%s: cut off an incomplete last line (%d bytes) left by an interrupted "
                        "save", self.path, self.torn)
            self._truncate(cut)

    # -- state -------------------------------------------------------------------------------
    def latest(self) -> dict[str, dict[str, Any]]:
        """The last saved record of each id."""
        with self._lock:
            return {s.record["id"]: s.record for s in self.saved}

    def __len__(self) -> int:
        with self._lock:
            return len({s.record["id"] for s in self.saved})

    # -- writing -----------------------------------------------------------------------------
    def append(self, *, id: str, title: str, text: str, labels: Sequence[str],
               model: str) -> dict[str, Any]:
        """Write one line and sync it to disk; return the record written."""
        record = {"id": id, "title": title, "text": text, "labels": list(labels),
                  "model": model,
                  "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            start = self._file.seek(0, os.SEEK_END)
            try:
                self._file.write(line)
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:
                # Leave no half line behind: the next save must start on a fresh line.
                self._truncate(start)
                raise OutputError(f"{self.path}: cannot write the correction "
                                  f"({exc.strerror or exc}); free disk space or choose another "
                                  "--out") from exc
            self.saved.append(Saved(record, start, start + len(line), line))
        return record

    def undo(self) -> dict[str, Any] | None:
        """Remove the last saved line; return its record (None when nothing is saved).

        Raises ``OutputError`` when the file's end is no longer the line this server wrote
        (edited by hand meanwhile): nothing is cut then.
        """
        with self._lock:
            if not self.saved:
                return None
            last = self.saved[-1]
            self._file.seek(last.start)
            tail = self._file.read()
            if tail != last.raw:
                raise OutputError(f"{self.path}: the file changed on disk since the last save; "
                                  "undo refused (edit the file by hand, or restart review)")
            self._truncate(last.start)
            self.saved.pop()
            return last.record

    def _truncate(self, size: int) -> None:
        self._file.truncate(size)
        self._file.flush()
        os.fsync(self._file.fileno())

    def snapshot(self, target: str | Path) -> int:
        """Copy the complete lines to ``target`` (for a retrain); return the line count."""
        with self._lock:
            self._file.seek(0)
            data = self._file.read()
            count = len(self.saved)
        Path(target).write_bytes(data)
        return count

    def close(self) -> None:
        """Close the file (every line is on disk already)."""
        with self._lock:
            self._file.close()
