"""Label many inputs: parallel workers, ordered streaming output, clean stops, ``--resume``.

``label(inputs, out=..., ...)`` turns files, folders, JSONL files and stdin into one output
record per article (``classifier.labelling.analysis``) or one ``{"source", "error"}`` record per
input (or JSONL line) that cannot be read. Work is split into tasks
(``classifier.labelling.tasks``): one text file, or ``CHUNK_LINES`` lines of a JSONL file. Tasks
run in a process pool whose workers each load the model once; at most a small window of tasks is
in flight, so memory does not grow with the number of files, and results are written in input
order, so any number of workers gives byte-identical output.

Output formats: ``jsonl`` (one JSON object per line) and ``csv`` (header, then one row per
record, columns ``CSV_COLUMNS``: ``labels`` and ``keywords`` joined with ``;``, ``scores`` and
``evidence`` as JSON strings because the set of themes belongs to the model; newlines inside
fields become spaces so that every record is one line).

Resume contract
---------------
* All records of one task are written with one ``write`` and flushed before the next task's, and
  tasks are written in input order. SIGINT/SIGTERM only set a flag checked between tasks, so a
  clean stop never leaves half a task; in-flight tasks are abandoned.
* A record's task is known from the record itself: ``(source, chunk)`` where ``chunk`` is
  ``(line - 1) // CHUNK_LINES`` for JSONL inputs (``line`` = ``article + 1`` for articles,
  ``line`` for error records) and ``WHOLE`` otherwise.
* ``--resume`` reads ``--out`` line by line, drops a trailing partial line and then the whole
  last task block (it may have been cut by a hard kill), truncates the file there, and treats
  every earlier task as complete. Inputs are enumerated again in the same deterministic order,
  complete tasks are skipped and the rest are appended. Hence interrupted-then-resumed output
  equals an uninterrupted run over the same, unchanged inputs with the same options. (Tasks that
  produce no record are simply redone.) An ``--out`` that is not label output in the requested
  format is refused, never truncated.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from classifier.errors import ClassifierError, UsageError
from classifier.labelling.analysis import Options, analyze, warm_up
from classifier.labelling.output import (
    CSV_COLUMNS,
    FORMATS,
    LabelProgress,
    completed_tasks,
    csv_header,
    format_records,
)
from classifier.labelling.runtime import GC_THRESHOLD, StopSignals, labelling_gc
from classifier.labelling.tasks import Task, iter_tasks, task_items
from classifier.model.store import load_model, resolve_model_dir
from classifier.model.theme_model import ThemeModel
from classifier.text.article import Article
from classifier.text.decode import DEFAULT_MAX_BYTES
from classifier.text.reader import Failure

__all__ = ["CSV_COLUMNS", "FORMATS", "LabelSummary", "NoInputsError",
           "format_records", "label"]

# Tasks in flight per worker: enough to keep workers busy while the writer waits for the oldest.
_WINDOW_PER_WORKER = 3


class NoInputsError(UsageError):
    """No input was given, or the folders given hold no file matching the glob."""


@dataclass
class LabelSummary:
    """What a run did; ``interrupted`` names the signal that stopped it early, if any."""

    files: int = 0  # inputs (files, stdin) worked on in this run
    articles: int = 0
    errors: int = 0  # error records written
    failed_inputs: int = 0  # inputs with at least one error record
    skipped_tasks: int = 0  # tasks already complete in --out (--resume)
    bytes: int = 0
    seconds: float = 0.0
    interrupted: str = ""
    out: str | None = None
    _last: tuple[str, bool] | None = field(default=None, repr=False)  # (source, has failed)

    def add(self, source: str, articles: int, errors: int, nbytes: int) -> None:
        """Count one task's result (tasks arrive in input order, grouped by source)."""
        if self._last is None or self._last[0] != source:
            self.files += 1
            self._last = (source, False)
        if errors and not self._last[1]:
            self.failed_inputs += 1
            self._last = (source, True)
        self.articles += articles
        self.errors += errors
        self.bytes += nbytes


@dataclass(frozen=True)
class _Config:
    model_dir: str
    options: Options
    fmt: str
    split: bool
    max_bytes: int


@dataclass(frozen=True)
class _Result:
    source: str
    block: str
    articles: int
    errors: int
    nbytes: int


# --- one task -----------------------------------------------------------------------------


def process_task(task: Task, model: ThemeModel, config: _Config) -> _Result:
    """Label one task and format its records as one block of output text."""
    try:
        items = task_items(task, max_bytes=config.max_bytes, split=config.split)
        articles = [it for it in items if isinstance(it, Article)]
        labelled = iter(analyze(articles, model, config.options)) if articles else iter(())
        records = [next(labelled) if isinstance(it, Article) else it.to_dict() for it in items]
    except Exception as exc:  # a bug on one odd input must not end a run over 10,000 files
        line = task.first_line if task.kind == "jsonl" else 0
        fail = Failure(task.source, f"{task.source}: unexpected {type(exc).__name__} while "
                       f"labelling ({exc}); please report this input", line)
        records = [fail.to_dict()]
        articles = []
    errors = len(records) - len(articles)
    return _Result(task.source, format_records(records, config.fmt), len(articles), errors,
                   task.nbytes)


# --- running tasks ------------------------------------------------------------------------

# The model (and its directory) of this process, and in workers the task config: set by label()
# in the parent, inherited by forked workers, loaded by _init_worker under other start methods.
_WORKER: dict[str, Any] = {}


def _init_worker(config: _Config) -> None:
    # Only the parent reacts to Ctrl-C/SIGTERM (delivered to the whole process group): it stops
    # cleanly and shuts the pool down, so workers must neither die mid-task nor print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.set_threshold(*GC_THRESHOLD)  # a worker only labels: see classifier.labelling.runtime
    if _WORKER.get("model_dir") != config.model_dir:  # not inherited through fork: load it
        _WORKER["model"] = load_model(config.model_dir)
        _WORKER["model_dir"] = config.model_dir
    _WORKER["config"] = config


def _run_in_worker(task: Task) -> _Result:
    return process_task(task, _WORKER["model"], _WORKER["config"])


def _inline(tasks: Iterable[Task], model: ThemeModel, config: _Config,
            stop: Callable[[], bool]) -> Generator[_Result, None, None]:
    for task in tasks:
        if stop():
            return
        yield process_task(task, model, config)


def _pooled(tasks: Iterable[Task], config: _Config, workers: int,
            stop: Callable[[], bool]) -> Generator[_Result, None, None]:
    # fork: workers start in milliseconds. The pool forks all workers at the first submit,
    # before the progress display starts its thread (see LabelProgress), so no thread is forked.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(config,))
    pending: deque[Future[_Result]] = deque()
    source = iter(tasks)
    try:
        while True:
            while len(pending) < workers * _WINDOW_PER_WORKER and not stop():
                task = next(source, None)
                if task is None:
                    break
                pending.append(pool.submit(_run_in_worker, task))
            if not pending or stop():
                return
            head = pending[0]
            while not wait([head], timeout=0.1, return_when=FIRST_COMPLETED).done:
                if stop():
                    return  # abandon the in-flight tasks; resume redoes them
            pending.popleft()
            yield head.result()
    except BrokenProcessPool as exc:
        raise ClassifierError(f"a worker process died ({exc}); the records written so far are "
                              "complete: rerun with --resume") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _open_sink(out: Path | None, resume: bool, fmt: str) -> tuple[IO[str], bool]:
    """The output stream, and whether it needs the CSV header."""
    if out is None:
        return sys.stdout, fmt == "csv"
    try:
        fh = out.open("a" if resume else "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    return fh, fmt == "csv" and fh.tell() == 0


def _check(inputs: Sequence[str], out: str | Path | None, fmt: str, workers: int | None,
           resume: bool) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if resume and out is None:
        raise UsageError("--resume needs --out FILE: it appends to the output of an earlier run")
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be at least 1, got {workers}")
    if not inputs:
        raise NoInputsError("no inputs given: pass files, folders, .jsonl files or - for stdin")


def _resume_state(out: Path | None, fmt: str, resume: bool) -> set[tuple[str, int]]:
    if not (resume and out is not None and out.exists()):
        return set()
    try:
        return completed_tasks(out, fmt)
    except OSError as exc:
        raise UsageError(f"cannot resume into --out {out}: {exc.strerror or exc}") from None


def label(inputs: Sequence[str], *, out: str | Path | None = None, fmt: str = "jsonl",
          options: Options | None = None, workers: int | None = None, resume: bool = False,
          glob: str = "*.txt", split: bool = True, model: str | Path = "default",
          max_bytes: int = DEFAULT_MAX_BYTES, progress: bool | None = None) -> LabelSummary:
    """Label every input into ``out`` (stdout when None); see the module docstring.

    ``workers`` defaults to all cores (one process is used when there is only one task).
    ``max_bytes`` limits each text file, and each record line of a JSONL file (JSONL files are
    streamed, so their total size is not limited).
    ``progress`` defaults to whether stderr is a terminal. Raises ``UsageError`` (incl.
    ``NoInputsError``) for options that cannot work, ``ModelError`` when the model cannot be
    loaded, ``ClassifierError`` when the output cannot be written. Unreadable inputs become
    error records, not exceptions.
    """
    _check(inputs, out, fmt, workers, resume)
    out_path = Path(out) if out is not None else None
    model_dir = resolve_model_dir(model)
    loaded = load_model(model_dir)  # fail before any output is written
    # Forked workers inherit this verified model instead of loading it again (see _init_worker).
    _WORKER.update(model=loaded, model_dir=str(model_dir))
    config = _Config(str(model_dir), options or Options(), fmt, split, max_bytes)
    tasks = iter_tasks(inputs, glob=glob, max_bytes=max_bytes, exclude=out_path)
    head = list(islice(tasks, 2))  # peek: no input at all, or a single task
    if not head:
        raise NoInputsError(f"no input files: the folders given hold no file matching {glob!r}"
                            " (change it with --glob)")
    done = _resume_state(out_path, fmt, resume)
    summary = LabelSummary(out=str(out_path) if out_path else None)
    bar = LabelProgress(sys.stderr.isatty() if progress is None else progress, inputs, glob,
                        out_path)

    def todo() -> Iterator[Task]:
        for t in chain(head, tasks):
            if t.key in done:
                summary.skipped_tasks += 1
                bar.skip(t.nbytes)
            else:
                yield t

    n = 1 if len(head) == 1 else workers or os.cpu_count() or 1
    if n > 1:
        warm_up(loaded)  # once here, not once per forked worker
    t0 = time.perf_counter()
    sink, header = _open_sink(out_path, resume, fmt)
    try:
        if header:
            sink.write(csv_header())
        with StopSignals() as sig, labelling_gc():
            results = (_inline(todo(), loaded, config, sig.stopped) if n == 1
                       else _pooled(todo(), config, n, sig.stopped))
            with closing(results):  # closing shuts the pool down now, not at garbage collection
                for res in results:
                    sink.write(res.block)
                    sink.flush()  # nothing lost on interruption: each task is on disk when done
                    summary.add(res.source, res.articles, res.errors, res.nbytes)
                    bar.update(res.nbytes, files=summary.files, articles=summary.articles,
                               errors=summary.errors)
                    if sig.caught:
                        break
            summary.interrupted = sig.caught
    except OSError as exc:  # disk full, closed pipe ...: what was flushed before is complete
        raise ClassifierError(f"cannot write the output ({exc.strerror or exc}); the records "
                              "written so far are complete: rerun with --resume") from None
    finally:
        bar.close()
        if sink is not sys.stdout:
            sink.close()
        else:
            sink.flush()
    summary.seconds = time.perf_counter() - t0
    return summary
