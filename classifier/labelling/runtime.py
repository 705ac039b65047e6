"""Process-wide settings of a labelling run: stop signals and the garbage collector."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["GC_THRESHOLD", "StopSignals", "labelling_gc"]

# Labelling allocates many short-lived containers (token lists, counts, records); with the
# default generation-0 threshold (700) the cyclic collector took ~20 % of the CPU time of
# ``analyze`` (docs/LABEL_BENCH.md), while reference counting frees nearly all of it anyway.
GC_THRESHOLD = (10_000, 10, 10)


@contextmanager
def labelling_gc() -> Iterator[None]:
    """Collect less often while labelling; the previous thresholds come back afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
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
