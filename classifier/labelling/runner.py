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

import fcntl
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING

from classifier.errors import OutputError, UsageError
from classifier.labelling.analysis import warm_up
from classifier.labelling.engines.local import run_inline, run_pooled
from classifier.labelling.options import Options, check_range
from classifier.labelling.output import (
    CSV_COLUMNS,
    FORMATS,
    LabelProgress,
    completed_tasks,
    csv_header,
    format_records,
    printable_name,
)
from classifier.labelling.runtime import StopSignals, labelling_runtime
from classifier.labelling.storage import RemoteOutput, is_url, iter_input_tasks, local_name
from classifier.labelling.tasks import Task
from classifier.labelling.worker import WORKER, LabelConfig, TaskResult
from classifier.model.store import load_model, resolve_model_dir
from classifier.model.theme_model import ThemeModel
from classifier.text.decode import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from classifier.labelling.engines.dask import DaskRun

__all__ = ["CSV_COLUMNS", "ENGINES", "FORMATS", "LabelSummary", "NoInputsError", "format_records",
           "label"]

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
    themes: Counter[str] = field(default_factory=Counter)  # articles per predicted theme
    workers: int = 0  # processes that labelled (never more than there were tasks)
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


def _open_sink(out: Path | None, resume: bool, fmt: str) -> tuple[IO[str], bool]:
    """The output stream, and whether it needs the CSV header."""
    if out is None:
        return sys.stdout, fmt == "csv"
    try:
        fh = out.open("a" if resume else "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise OutputError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    return fh, fmt == "csv" and fh.tell() == 0


ENGINES = ("local", "dask")
# More worker processes than this is a typo, not a plan (each holds a model: ~200 MB).
MAX_WORKERS = 256


def _check_not_an_input(inputs: Sequence[str], out: Path | None) -> None:
    """``--out`` must not be one of the inputs (also through a symlink): the run would read
    its own output, or replace its input with it (issue 15, item 3)."""
    if out is None:
        return
    target = os.path.realpath(out)
    for name in inputs:
        if name != "-" and not is_url(name) and os.path.realpath(name) == target:
            raise UsageError(f"--out {out} is also an input ({name}); write the records to "
                             "another file")


def _lock_output(out: Path | None) -> IO[str] | None:
    """Open ``--out`` without truncating it and take an exclusive lock on it, so that a second
    ``label`` writing the same file is refused instead of interleaving records (issue 15,
    item 4). The lock lasts until the returned handle is closed."""
    if out is None:
        return None
    try:
        handle = out.open("a", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UsageError(f"--out {out} is being written by another label run; wait for it to "
                         "finish or choose another --out") from None
    return handle


def _check(inputs: Sequence[str], out: str | Path | None, fmt: str, workers: int | None,
           resume: bool, max_bytes: int, engine: str) -> None:
    """Refuse options that cannot work, before anything is loaded or written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if resume and out is None:
        raise UsageError("--resume needs --out FILE: it appends to the output of an earlier run")
    if workers is not None:
        check_range("workers", workers, 1, MAX_WORKERS)
    check_range("max_bytes", max_bytes, 1)
    if not inputs:
        raise NoInputsError("no inputs given: pass files, folders, .jsonl files or - for stdin")


def _check_engine(engine: str, scheduler: str | None, partitions: int | None) -> None:
    """Options of the Dask engine need it, and it needs its extra installed."""
    if engine != "dask" and (scheduler is not None or partitions is not None):
        raise UsageError("--scheduler and --partitions go with --engine dask")
    if partitions is not None:
        check_range("partitions", partitions, 1)
    if engine == "dask":
        from classifier.labelling.engines.dask import require_dask

        require_dask()


def _resume_state(out: Path | None, fmt: str, resume: bool,
                  labels: Sequence[str] = ()) -> set[tuple[str, int]]:
    if not (resume and out is not None and out.exists()):
        return set()
    try:
        return completed_tasks(out, fmt, labels)
    except OSError as exc:
        raise UsageError(f"cannot resume into --out {out}: {exc.strerror or exc}") from None


def label(inputs: Sequence[str], *, out: str | Path | None = None, fmt: str = "jsonl",
          options: Options | None = None, workers: int | None = None, resume: bool = False,
          glob: str = "*.txt", split: bool = True, model: str | Path = "default",
          max_bytes: int = DEFAULT_MAX_BYTES, progress: bool | None = None,
          engine: str = "local", scheduler: str | None = None,
          partitions: int | None = None, excel: bool = False,
          on_error: Callable[[str], None] | None = None,
          stdin_format: str = "auto") -> LabelSummary:
    """Label every input into ``out`` (stdout when None); see the module docstring.

    ``workers`` defaults to all cores (one process is used when there is only one task).
    ``max_bytes`` limits each text file, and each record line of a JSONL file (JSONL files are
    streamed, so their total size is not limited).
    ``progress`` defaults to whether stderr is a terminal. Raises ``UsageError`` (incl.
    ``OptionError`` and ``NoInputsError``) for options that cannot work, ``ModelError`` when
    the model cannot be loaded, ``OutputError`` when the output cannot be written. Unreadable
    inputs become error records, not exceptions.

    ``engine="dask"`` runs the tasks on a Dask cluster (``classifier.labelling.engines.dask``):
    the one at ``scheduler`` (``tcp://host:8786``), or a local cluster of ``workers`` processes;
    ``partitions`` tasks in flight. Inputs and ``out`` may be fsspec URLs
    (``classifier.labelling.storage``).
    """
    _check(inputs, out, fmt, workers, resume, max_bytes, engine)
    _check_engine(engine, scheduler, partitions)
    inputs = [local_name(name) for name in inputs]
    out = local_name(out) if isinstance(out, str) else out
    remote = RemoteOutput(str(out)) if is_url(out) else None
    out_path = Path(out) if out is not None and remote is None else None
    _check_not_an_input(inputs, out_path)
    model_dir = resolve_model_dir(model)
    loaded = load_model(model_dir)  # fail before any output is written
    # Forked workers inherit this verified model instead of loading it again (see init_worker).
    WORKER.update(model=loaded, model_dir=str(model_dir))
    config = LabelConfig(str(model_dir), options or Options(), fmt, split, max_bytes)
    tasks = iter_input_tasks(inputs, glob=glob, max_bytes=max_bytes, exclude=out_path,
                             exclude_url=remote.url if remote else None,
                             stdin_format=stdin_format)
    wanted = workers or os.cpu_count() or 1
    # Peek: no input at all, or fewer tasks than workers (never more workers than tasks).
    head = list(islice(tasks, max(2, wanted)))
    if not head:
        raise NoInputsError(f"no input files: the folders given hold no file matching {glob!r}"
                            " (change it with --glob)")
    lock = _lock_output(out_path)
    try:
        done = (remote.completed(fmt, loaded.labels) if remote and resume
                else _resume_state(out_path, fmt, resume, loaded.labels))
        summary = _run(chain(head, tasks), done, loaded, config, min(wanted, len(head)),
                       out_path, resume, inputs, glob, progress, engine, scheduler, partitions,
                       remote, _Extras(excel, on_error))
    finally:
        if lock is not None:
            lock.close()
    return summary


@dataclass(frozen=True)
class _Extras:
    """Output details that only the writer needs: the Excel BOM and where errors go."""

    excel: bool = False
    on_error: Callable[[str], None] | None = None


def _run(tasks: Iterator[Task], done: set[tuple[str, int]], loaded: ThemeModel,
         config: LabelConfig, n: int, out_path: Path | None, resume: bool,
         inputs: Sequence[str], glob: str, progress: bool | None, engine: str,
         scheduler: str | None, partitions: int | None, remote: RemoteOutput | None,
         extras: _Extras) -> LabelSummary:
    """Run the tasks not done yet and write their records (``label`` holds the lock)."""
    summary = LabelSummary(out=remote.url if remote else str(out_path) if out_path else None,
                           workers=n)
    bar = LabelProgress(sys.stderr.isatty() if progress is None else progress, inputs, glob,
                        out_path)
    todo = _skip_done(tasks, done, summary, bar)
    t0 = time.perf_counter()
    dask: DaskRun | None = None
    if engine == "dask":  # imported here: the engine imports distributed, local runs do not
        from classifier.labelling.engines.dask import DaskRun, DaskSettings

        # Connected, model loaded on every worker, before --out is opened (and truncated).
        dask = DaskRun(DaskSettings(scheduler, n, partitions), config.model_dir)
        summary.workers = dask.workers
    try:
        _write_results(todo, loaded, config, n, out_path, resume, summary, bar, dask=dask,
                       remote=remote, extras=extras)
    finally:
        bar.close()
        if dask is not None:
            dask.close()
    summary.seconds = time.perf_counter() - t0
    return summary


def _skip_done(tasks: Iterator[Task], done: set[tuple[str, int]], summary: LabelSummary,
               bar: LabelProgress) -> Iterator[Task]:
    """The tasks not already complete in ``--out`` (counted as skipped)."""
    for task in tasks:
        # Records carry names as printed (``printable_name``): compare like with like.
        if (printable_name(task.source), task.chunk) in done:
            summary.skipped_tasks += 1
            bar.skip(task.nbytes)
        else:
            yield task


def _write_results(tasks: Iterator[Task], model: ThemeModel, config: LabelConfig, workers: int,
                   out: Path | None, resume: bool, summary: LabelSummary,
                   bar: LabelProgress, *, dask: DaskRun | None = None,
                   remote: RemoteOutput | None = None, extras: _Extras = _Extras()) -> None:
    """Run the tasks and write each result as it comes, in input order, flushed."""
    if workers > 1 and dask is None:
        warm_up(model)  # once here, not once per forked worker (Dask workers warm up their own)
    if remote is not None:
        sink, empty = remote.open()
        header = config.fmt == "csv" and empty
    else:
        sink, header = _open_sink(out, resume, config.fmt)
    try:
        if header:
            sink.write(csv_header(model.labels, bom=extras.excel))
        with StopSignals() as sig, labelling_runtime():
            results = (dask.results(tasks, config, sig.stopped) if dask is not None
                       else run_inline(tasks, model, config, sig.stopped) if workers == 1
                       else run_pooled(tasks, config, workers, sig.stopped))
            with closing(results):  # closing shuts the pool down now, not at garbage collection
                for res in results:
                    _write(sink, res, summary, bar, extras.on_error)
                    if sig.caught:
                        break
            summary.interrupted = sig.caught
    except OSError as exc:  # disk full, closed pipe ...: what was flushed before is complete
        raise OutputError(f"cannot write the output ({exc.strerror or exc}); the records "
                          "written so far are complete: rerun with --resume") from None
    finally:
        if sink is not sys.stdout:
            sink.close()
        else:
            sink.flush()


def _write(sink: IO[str], res: TaskResult, summary: LabelSummary, bar: LabelProgress,
           on_error: Callable[[str], None] | None = None) -> None:
    sink.write(res.block)
    sink.flush()  # nothing lost on interruption: each task is on disk when done
    summary.add(res.source, res.articles, res.errors, res.nbytes)
    summary.themes.update(dict(res.themes))
    if on_error is not None:
        for message in res.messages:
            on_error(message)
    bar.update(res.nbytes, files=summary.files, articles=summary.articles,
               errors=summary.errors)
