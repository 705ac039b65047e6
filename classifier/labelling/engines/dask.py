"""The Dask engine: labelling tasks on a Dask cluster, results back in input order.

The client (the ``label`` process) enumerates tasks exactly as the local engine does, keeps a
window of them in flight on the cluster (``partitions``), and hands results back in input
order as they arrive, so the runner writes the same bytes, flushed task by task, and
``--resume`` works as it does locally.

Workers never receive the model inside a task. A ``WorkerPlugin`` (registered once per run; the
scheduler also runs it on workers that join or restart later) loads it once per worker process
into a cache keyed by the model directory and the sha256 of its ``meta.json`` (which holds the
hash of every other model file), and warms up the segmenter and converter. A worker loads the
model from the directory when it sees the same version at the same path (shared storage);
otherwise from the files' bytes carried by the plugin (sent once per worker, when connecting to
a scheduler), written to the worker's local directory and verified by ``load_model`` like any
model directory.

A worker that dies: the scheduler reruns its tasks elsewhere (up to
``distributed.scheduler.allowed-failures`` times per task); a task that raises is retried
``RETRIES`` times; a task the cluster lost for good is submitted again by the client
(``RESUBMITS`` times). Either way the client writes each task's result once, at its turn.
Workers must run the client's ``classifier`` version (checked with the model).

``DaskRun`` connects and has every worker load the model before the runner opens ``--out``.
This module imports without Dask installed (``require_dask`` says what to install); it is only
imported by the runner for ``engine="dask"``. docs/CLUSTER.md says how to run it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.errors import ClassifierError, ModelError, UsageError
from classifier.labelling.analysis import warm_up
from classifier.labelling.runtime import labelling_process
from classifier.labelling.tasks import Task
from classifier.labelling.worker import LabelConfig, TaskResult, process_task
from classifier.model.store import load_model
from classifier.model.theme_model import ThemeModel

if TYPE_CHECKING:
    from distributed import WorkerPlugin
else:
    try:
        from distributed import WorkerPlugin
    except ImportError:  # ModelPlugin is only instantiated after require_dask() passed
        WorkerPlugin = object

__all__ = ["INSTALL", "RESUBMITS", "RETRIES", "DaskRun", "DaskSettings", "ModelPlugin",
           "ModelRef", "label_task", "require_dask", "worker_model", "worker_stats"]

INSTALL = "pip install 'classifier[dask]'"
# Retries of a task that raised (a worker's storage hiccup); dead workers are handled by the
# scheduler's own rescheduling, not by this.
RETRIES = 2
# Submissions of a task again by the client after the cluster lost it or its result for good.
RESUBMITS = 3
# Tasks in flight per worker thread when --partitions is not given: enough to keep every
# thread busy while the client waits for the oldest task.
WINDOW_PER_THREAD = 3
CONNECT_TIMEOUT = "10s"


def require_dask() -> None:
    """Raise ``UsageError`` naming the install command when dask.distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"--engine dask needs Dask, which is not installed ({exc.name or exc})"
                         f": {INSTALL}") from None


@dataclass(frozen=True)
class DaskSettings:
    """Where and how to run: ``scheduler`` address (None: a local cluster of ``workers``
    processes), ``partitions`` in flight (None: 3 per worker thread), ``ship_model`` (None:
    when connecting to a scheduler, whose workers may not see the model directory)."""

    scheduler: str | None = None
    workers: int = 1
    partitions: int | None = None
    ship_model: bool | None = None


@dataclass(frozen=True)
class ModelRef:
    """A model version as workers find it: its directory and the sha256 of its meta.json,
    plus (optionally) the bytes of its files for workers that cannot see the directory."""

    model_dir: str
    digest: str
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    version: str = ""  # the client's classifier version: a worker with another one refuses

    @classmethod
    def of(cls, model_dir: str | Path, *, with_files: bool = False) -> ModelRef:
        """The reference of a (verified) model directory, with its files' bytes if asked."""
        root = Path(model_dir)
        meta_bytes = (root / "meta.json").read_bytes()
        digest = hashlib.sha256(meta_bytes).hexdigest()
        files: tuple[tuple[str, bytes], ...] = ()
        if with_files:
            names = sorted(json.loads(meta_bytes)["files"])
            files = (("meta.json", meta_bytes),
                     *((name, (root / name).read_bytes()) for name in names))
        return cls(str(root.resolve()), digest, files, _package_version())

    @property
    def key(self) -> tuple[str, str]:
        """The cache key on a worker: (directory, meta.json hash)."""
        return (self.model_dir, self.digest)

    def light(self) -> ModelRef:
        """This reference without the files' bytes (what each task carries)."""
        return ModelRef(self.model_dir, self.digest, version=self.version)


# Per worker process: the models loaded (by ModelRef.key), where shipped bytes were written,
# and counters for tests and diagnostics. Filled by ModelPlugin.setup and label_task.
_MODELS: dict[tuple[str, str], ThemeModel] = {}
_STAGED: dict[tuple[str, str], str] = {}
_STATS: dict[str, int] = {"loads": 0, "tasks": 0}


@lru_cache(maxsize=1)
def _package_version() -> str:
    try:
        return importlib.metadata.version("classifier")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown"


def _meta_digest(root: Path) -> str | None:
    try:
        return hashlib.sha256((root / "meta.json").read_bytes()).hexdigest()
    except OSError:
        return None


def _stage(ref: ModelRef, local_dir: str | None) -> str:
    """Write the shipped model files into a fresh directory on this worker."""
    target = Path(tempfile.mkdtemp(prefix="classifier-model-", dir=local_dir))
    for name, data in ref.files:
        if "/" in name or name.startswith("."):
            raise ModelError(f"model file name {name!r} is not a plain file name")
        (target / name).write_bytes(data)
    return str(target)


def worker_model(ref: ModelRef, local_dir: str | None = None) -> ThemeModel:
    """This process's copy of the model ``ref`` names, loaded and warmed up on first use.

    Looks in the model directory (if it holds that version), then in the copy written from
    shipped bytes; every load is verified by ``load_model``. Raises ``ModelError``.
    """
    if ref.version and ref.version != _package_version():
        # Other code labels differently: records would depend on the worker that ran them.
        raise UsageError(f"Dask worker {os.uname().nodename} runs classifier "
                         f"{_package_version()}, the client {ref.version}: install the same "
                         "version on every machine")
    model = _MODELS.get(ref.key)
    if model is not None:
        return model
    if _meta_digest(Path(ref.model_dir)) == ref.digest:
        root = ref.model_dir
    elif ref.key in _STAGED:
        root = _STAGED[ref.key]
    elif ref.files:
        root = _STAGED[ref.key] = _stage(ref, local_dir)
    else:
        raise ModelError(f"the model {ref.model_dir} (meta.json sha256 {ref.digest[:12]}) is not "
                         f"on this worker ({os.uname().nodename}): put it on storage every "
                         "worker sees at the same path, or let label ship it")
    if _meta_digest(Path(root)) != ref.digest:
        raise ModelError(f"{root}/meta.json does not match the model the client verified: "
                         "the model changed during the run; start it again")
    model = load_model(root)  # checks every file against the hashes in meta.json
    warm_up(model)  # segmenter, converter, lookup tables: once per process
    labelling_process()  # this process labels: see classifier.labelling.runtime
    _MODELS[ref.key] = model
    _STATS["loads"] += 1
    return model


def label_task(task: Task, config: LabelConfig, ref: ModelRef) -> TaskResult:
    """Label one task on a worker with that worker's copy of the model."""
    result = process_task(task, worker_model(ref), config)
    _STATS["tasks"] += 1
    return result


def worker_stats() -> dict[str, int]:
    """This worker process's pid, model loads and tasks done (for tests and diagnostics)."""
    return {"pid": os.getpid(), **_STATS}


class ModelPlugin(WorkerPlugin):
    """Loads the model once per worker process, when the worker starts or joins.

    ``local``: the worker belongs to the cluster ``label`` started. Ctrl-C reaches the whole
    process group, and only the client should react (stop cleanly, then shut the cluster
    down), so such workers ignore SIGINT instead of dying with a traceback each.
    """

    def __init__(self, ref: ModelRef, local: bool = False) -> None:
        self.ref = ref
        self.local = local

    def setup(self, worker: Any) -> None:
        """Load and warm up the model in this worker process."""
        if self.local and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        worker_model(self.ref, getattr(worker, "local_directory", None))


def _say(message: str) -> None:
    sys.stderr.write(f"dask: {message}\n")
    sys.stderr.flush()


def _connect(settings: DaskSettings) -> tuple[Any, Any]:
    """A client, and the local cluster it runs on (None when connecting to a scheduler)."""
    from distributed import Client, LocalCluster

    if settings.scheduler is None:
        import dask

        # The workers' statistical profiler samples every thread each 10 ms: ~40 % more CPU
        # per article here (bench/bench_dask.py), for a profile nobody of a label run reads.
        # Nannies copy the configuration given to them at creation to their workers.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            # A free port: a fixed one (8787) may be taken by another user of the machine.
            cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1,
                                   processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        try:
            return Client(cluster, set_as_default=False), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        return Client(settings.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False), None
    except (OSError, ValueError) as exc:  # refused, timed out, or a malformed address
        raise UsageError(f"cannot connect to the Dask scheduler at --scheduler "
                         f"{settings.scheduler} ({exc}); start one with `dask scheduler` "
                         "or leave --scheduler out for a local cluster") from None


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _describe(client: Any, local: bool) -> tuple[int, int, str]:
    """Workers and worker threads of the cluster now, and a line that says where the work
    goes."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
    line = f"{len(workers)} workers, {threads} threads at {info.get('address', '?')}"
    # A scheduler always serves HTTP; it is a dashboard only where bokeh is installed (known
    # here for a local cluster; a remote scheduler's link is shown as its owner set it up).
    if "dashboard" in info.get("services", {}) and (not local or _has_bokeh()):
        line += f"; dashboard {client.dashboard_link}"
    return len(workers), threads, line


class DaskRun:
    """A connection to a Dask cluster ready to label: made before ``--out`` is touched, so a
    scheduler that cannot be reached or workers that cannot load the model change nothing.

    Connects (or starts a local cluster) and has every worker load the model at creation;
    ``results`` runs tasks; ``close`` lets go of the cluster (a local one is shut down).
    Raises ``UsageError`` when the scheduler cannot be reached, ``ModelError`` when workers
    cannot load the model.
    """

    def __init__(self, settings: DaskSettings, model_dir: str) -> None:
        ship = (settings.ship_model if settings.ship_model is not None
                else bool(settings.scheduler))
        self.ref = ModelRef.of(model_dir, with_files=ship)
        self.settings = settings
        self.client, self.cluster = _connect(settings)
        self.run = uuid.uuid4().hex[:12]
        self.plugin = f"classifier-model-{self.ref.digest[:16]}-{self.run}"
        self._pending: deque[_InFlight] = deque()
        self._number = 0
        try:
            # Every worker loads the model now; raises the workers' ModelError.
            self.client.register_plugin(ModelPlugin(self.ref, self.cluster is not None),
                                        name=self.plugin)
            self.workers, self.threads, line = _describe(self.client, self.cluster is not None)
            if not self.workers:  # a scheduler whose workers are still starting
                _say(f"{line}: waiting for a worker to join (Ctrl-C to give up)")
                self.client.wait_for_workers(1)
                self.workers, self.threads, line = _describe(self.client, False)
        except BaseException:
            self.close()
            raise
        _say(line)

    def _submit(self, task: Task, config: LabelConfig) -> Any:
        self._number += 1
        # pure=False and a run-unique key: the same input labelled twice is two tasks.
        return self.client.submit(label_task, task, config, self.ref.light(), pure=False,
                                  key=f"classifier-label-{self.run}-{self._number}",
                                  retries=RETRIES)

    def results(self, tasks: Iterable[Task], config: LabelConfig,
                stop: Callable[[], bool]) -> Generator[TaskResult, None, None]:
        """Process tasks on the cluster, yielding results in input order; ``stop()`` is
        checked while waiting. Raises ``ClassifierError`` when a task kept failing."""
        window = self.settings.partitions or max(WINDOW_PER_THREAD * self.threads, 2)
        pending = self._pending
        source = iter(tasks)
        try:
            while True:
                while len(pending) < window and not stop():
                    task = next(source, None)
                    if task is None:
                        break
                    pending.append(_InFlight(task, self._submit(task, config)))
                if not pending or stop():
                    return
                head = pending[0]
                try:
                    result = _next_result(head.future, stop)
                except ClassifierError:
                    raise  # the model cannot be loaded there: retrying will not help
                except Exception as exc:
                    # The cluster lost the task or its result (KilledWorker after workers died
                    # running it, a gather that failed while a worker went away ...); labelling
                    # never raises for an input, so run it again, a few times.
                    if head.attempts >= RESUBMITS:
                        raise ClassifierError(
                            f"a task failed {head.attempts + 1} times on the Dask cluster "
                            f"({type(exc).__name__}: {exc}); the records written so far are "
                            "complete: rerun with --resume") from None
                    _say(f"resubmitting {head.task.source} after {type(exc).__name__}: {exc}")
                    head.future = self._submit(head.task, config)
                    head.attempts += 1
                    continue
                if result is None:
                    return  # stopped: abandon the in-flight tasks; resume redoes them
                pending.popleft()
                yield result
        finally:
            self._cancel()

    def _cancel(self) -> None:
        futures = [p.future for p in self._pending]
        self._pending.clear()
        if futures:
            try:
                self.client.cancel(futures)
            except Exception:
                pass  # best effort: closing the client releases them anyway

    def close(self) -> None:
        """Cancel what is in flight and let go of the cluster (a local one is shut down)."""
        self._cancel()
        try:
            if self.cluster is None:  # a shared cluster: leave no plugin behind on its workers
                self.client.unregister_worker_plugin(self.plugin)
        except Exception:
            pass  # the run's outcome is decided already; letting go is best effort
        finally:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


@dataclass
class _InFlight:
    """A task on the cluster: the task itself (to submit it again) and its future."""

    task: Task
    future: Any
    attempts: int = 0


def _next_result(head: Any, stop: Callable[[], bool]) -> TaskResult | None:
    """The result of the oldest task in flight, or None when ``stop()`` turns true first."""
    while True:
        try:
            result: TaskResult = head.result(timeout=0.2)
            return result
        except TimeoutError:
            if head.status == "error":
                raise  # the task itself raised it
            if stop():
                return None
