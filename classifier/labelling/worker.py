"""What a worker does with one task: read it, label its articles, format its records.

``process_task`` runs in whichever process an engine (``classifier.labelling.engines``) gives
it; ``init_worker`` prepares a local worker process (signals, GC, the model loaded once).
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from classifier.labelling.analysis import analyze
from classifier.labelling.options import Options
from classifier.labelling.output import format_records
from classifier.labelling.records import Record
from classifier.labelling.runtime import labelling_process
from classifier.labelling.tasks import Task, task_items
from classifier.model.store import load_model
from classifier.model.theme_model import ThemeModel
from classifier.text.article import Article, Failure

__all__ = ["WORKER", "LabelConfig", "TaskResult", "die_with_parent", "init_worker",
           "process_task", "run_in_worker"]


@dataclass(frozen=True)
class LabelConfig:
    """What every task of a run shares: the model directory, options, format, splitting and
    the input size limit."""

    model_dir: str
    options: Options
    fmt: str
    split: bool
    max_bytes: int


@dataclass(frozen=True)
class TaskResult:
    """One task's records as a block of output text, with counts for the summary."""

    source: str
    block: str
    articles: int
    errors: int
    nbytes: int
    key: tuple[str, int] = ("", -1)  # the task's (source, chunk)
    messages: tuple[str, ...] = ()  # the error records' messages, for stderr
    themes: tuple[tuple[str, int], ...] = ()  # (theme, articles labelled with it)


def process_task(task: Task, model: ThemeModel, config: LabelConfig) -> TaskResult:
    """Label one task and format its records as one block of output text."""
    try:
        items = task_items(task, max_bytes=config.max_bytes, split=config.split)
    except Exception as exc:  # a bug on one odd input must not end a run over 10,000 files
        items = [_unexpected(task.source, task.first_line if task.kind == "jsonl" else 0, exc)]
    articles = [it for it in items if isinstance(it, Article)]
    try:
        labelled: Iterator[Record] = iter(analyze(articles, model, config.options))
    except Exception:
        # One bad article must not cost its neighbours their records: label them one by one.
        labelled = iter([_label_one(a, model, config.options) for a in articles])
    records = [next(labelled) if isinstance(it, Article) else it for it in items]
    messages = tuple(r.error for r in records if isinstance(r, Failure))
    themes = Counter(lab for r in records if not isinstance(r, Failure) for lab in r.labels)
    return TaskResult(task.source, format_records(records, config.fmt, model.labels),
                      len(records) - len(messages), len(messages), task.nbytes, task.key,
                      messages, tuple(sorted(themes.items())))


def _label_one(article: Article, model: ThemeModel, options: Options) -> Record:
    try:
        return analyze([article], model, options)[0]
    except Exception as exc:
        line = article.index + 1 if article.id else 0
        return _unexpected(article.source, line, exc)


def _unexpected(source: str, line: int, exc: Exception) -> Failure:
    return Failure(source, f"{source}: unexpected {type(exc).__name__} while labelling ({exc}); "
                   "please report this input", line)


# The model (and its directory) of this process, and in workers the task config: set by label()
# in the parent, inherited by forked workers, loaded by init_worker under other start methods.
WORKER: dict[str, Any] = {}


_PR_SET_PDEATHSIG = 1  # prctl(2) option: a signal for this process when its parent dies


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``),
    so a ``kill -9`` of ``label`` leaves no orphan workers (issue 15, item 7). Elsewhere a
    no-op: there the pool's own broken-pipe handling ends idle workers."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def init_worker(config: LabelConfig, parent: int = 0) -> None:
    """Prepare a local worker process: die with the parent (its pid: ``parent``), ignore stop
    signals, collect less, load the model."""
    if parent:
        die_with_parent(parent)
    # Only the parent reacts to Ctrl-C/SIGTERM (delivered to the whole process group): it stops
    # cleanly and shuts the pool down, so workers must neither die mid-task nor print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    labelling_process()  # a worker only labels: see classifier.labelling.runtime
    if WORKER.get("model_dir") != config.model_dir:  # not inherited through fork: load it
        WORKER["model"] = load_model(config.model_dir)
        WORKER["model_dir"] = config.model_dir
    WORKER["config"] = config


def run_in_worker(task: Task) -> TaskResult:
    """Process a task with this worker's model and config (set by ``init_worker``)."""
    return process_task(task, WORKER["model"], WORKER["config"])
