"""The local engine: tasks in this process, or in a pool of worker processes.

Results come back in input order; at most ``WINDOW_PER_WORKER`` tasks per worker are in flight,
so memory stays flat in the number of inputs. ``stop()`` is checked between tasks: in-flight
tasks are abandoned (``--resume`` redoes them).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from classifier.errors import ClassifierError
from classifier.labelling.tasks import Task
from classifier.labelling.worker import (
    LabelConfig,
    TaskResult,
    init_worker,
    process_task,
    run_in_worker,
)
from classifier.model.theme_model import ThemeModel

__all__ = ["WINDOW_PER_WORKER", "run_inline", "run_pooled", "start_method"]

# Tasks in flight per worker: enough to keep workers busy while the writer waits for the oldest.
WINDOW_PER_WORKER = 3


def run_inline(tasks: Iterable[Task], model: ThemeModel, config: LabelConfig,
               stop: Callable[[], bool]) -> Generator[TaskResult, None, None]:
    """Process tasks one after the other in this process."""
    for task in tasks:
        if stop():
            return
        yield process_task(task, model, config)


def run_pooled(tasks: Iterable[Task], config: LabelConfig, workers: int,
               stop: Callable[[], bool]) -> Generator[TaskResult, None, None]:
    """Process tasks in ``workers`` worker processes, yielding results in input order."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start_method()),
                               initializer=init_worker, initargs=(config, os.getpid()))
    pending: deque[Future[TaskResult]] = deque()
    source = iter(tasks)
    finished = False
    try:
        while True:
            while len(pending) < workers * WINDOW_PER_WORKER and not stop():
                task = next(source, None)
                if task is None:
                    break
                pending.append(pool.submit(run_in_worker, task))
            if not pending or stop():
                finished = True
                return
            head = pending[0]
            while not wait([head], timeout=0.1, return_when=FIRST_COMPLETED).done:
                if stop():
                    finished = True
                    return  # abandon the in-flight tasks; resume redoes them
            pending.popleft()
            yield head.result()
    except BrokenProcessPool as exc:
        raise ClassifierError(f"a worker process died ({exc}); the records written so far are "
                              "complete: rerun with --resume") from None
    finally:
        if not finished:  # stopped early (a stop signal, a write error): stop at once
            _kill_workers(pool)
        try:
            # Wait even after a kill: the pool's manager thread sees its workers gone and ends
            # at once, and a pool left running had the interpreter's exit hook write to its
            # closed wake-up pipe (an "Exception ignored" traceback on SIGTERM).
            pool.shutdown(wait=True, cancel_futures=True)
        except BaseException:  # a second Ctrl-C while waiting: the workers would outlive us
            _kill_workers(pool)
            raise


def start_method() -> str:
    """How worker processes start: ``fork`` when this process runs a single thread, else
    ``spawn``.

    fork: workers start in milliseconds and share the loaded model. ``label`` forks all its
    workers at the first submit, before the progress display starts its thread (see
    LabelProgress), so from the command line no thread is ever forked. A caller with threads
    of its own (a Dask client's offload thread, a web server) gets spawned workers: a thread
    that holds a lock at the moment of a fork can leave the child waiting on it for ever (this
    suite once hung so: a pool worker a test forked beside the thread the Dask tests leave
    running waited on its task queue's lock), and a spawned child starts a fresh interpreter
    and loads the model itself.
    Not forkserver: its children are the server's, and a worker must be the labelling
    process's own child to die with it (``worker.die_with_parent``).
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes, so that neither ``shutdown`` nor the interpreter's
    exit hook waits for tasks nobody will read (issue 15, item 8: a second Ctrl-C hung).

    ``ProcessPoolExecutor`` has no public handle on its processes; ``_processes`` is the
    mapping it keeps of them (pid -> Process) in every supported Python.
    """
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()
