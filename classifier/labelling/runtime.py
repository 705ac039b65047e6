"""Process-wide settings of a labelling run: stop signals, the garbage collector and BLAS
threads."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["GC_THRESHOLD", "StopSignals", "labelling_process", "labelling_runtime"]

# Labelling allocates many short-lived containers (token lists, counts, records); with the
# default generation-0 threshold (700) the cyclic collector took ~20 % of the CPU time of
# ``analyze`` (docs/LABEL_BENCH.md), while reference counting frees nearly all of it anyway.
GC_THRESHOLD = (10_000, 10, 10)


# Labelling runs in parallel by processes, one per core. numpy's BLAS (OpenBLAS) starts a thread
# per core as well for the batch products (term hits x theme membership, ...), and its threads
# spin-wait between calls: with one worker they burned 1.7 CPU-s beside 4.5 CPU-s of work
# without making it faster, with two workers they took the other worker's core (3,000 People's
# Daily articles: 3.3 s -> 2.8 s with two workers, docs/LABEL_BENCH.md). A process that labels
# keeps BLAS to one thread; the products are small and gain nothing from more.
BLAS_THREADS = 1


def labelling_process() -> None:
    """Settle this process for labelling and nothing else (a worker): collect less often and
    keep BLAS to one thread, for the rest of its life."""
    from threadpoolctl import threadpool_limits  # ~5 ms; only processes that label need it

    gc.set_threshold(*GC_THRESHOLD)
    threadpool_limits(limits=BLAS_THREADS, user_api="blas")


@contextmanager
def labelling_runtime() -> Iterator[None]:
    """Collect less often and keep BLAS to one thread while labelling in this process; the
    previous settings come back afterwards."""
    from threadpoolctl import threadpool_limits

    old = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            yield
    finally:
        gc.set_threshold(*old)


class StopSignals:
    """SIGINT/SIGTERM set a flag checked between tasks; a second signal stops at once."""

    def __init__(self) -> None:
        self.caught = ""
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def stopped(self) -> bool:
        """Whether a stop signal arrived."""
        return bool(self.caught)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.caught:
            raise KeyboardInterrupt
        self.caught = signal.Signals(signum).name

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
