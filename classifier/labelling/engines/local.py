"""The local engine: tasks in this process, or in a pool of forked worker processes.

Results come back in input order; at most ``WINDOW_PER_WORKER`` tasks per worker are in flight,
so memory stays flat in the number of inputs. ``stop()`` is checked between tasks: in-flight
tasks are abandoned (``--resume`` redoes them).
"""

from __future__ import annotations

import multiprocessing
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

__all__ = ["WINDOW_PER_WORKER", "run_inline", "run_pooled"]

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
    """Process tasks in ``workers`` forked processes, yielding results in input order."""
    # fork: workers start in milliseconds. The pool forks all workers at the first submit,
    # before the progress display starts its thread (see LabelProgress), so no thread is forked.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=init_worker, initargs=(config,))
    pending: deque[Future[TaskResult]] = deque()
    source = iter(tasks)
    try:
        while True:
            while len(pending) < workers * WINDOW_PER_WORKER and not stop():
                task = next(source, None)
                if task is None:
                    break
                pending.append(pool.submit(run_in_worker, task))
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
