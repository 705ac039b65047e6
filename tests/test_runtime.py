"""Process settings of labelling: the collector threshold and one BLAS thread per process."""

from __future__ import annotations

import gc
import multiprocessing
import socket
from pathlib import Path

import numpy as np  # noqa: F401  (loads the BLAS library threadpoolctl looks for)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from classifier.labelling.engines.local import start_method
from classifier.labelling.options import Options
from classifier.labelling.runtime import BLAS_THREADS, GC_THRESHOLD, labelling_runtime
from classifier.labelling.worker import LabelConfig, init_worker
from classifier.service.worker import serve_jobs

pytestmark = pytest.mark.skipif(
    not [i for i in threadpool_info() if i["user_api"] == "blas"],
    reason="numpy here has no BLAS library that threadpoolctl can see")


def _blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def _settings_after_init_worker(model_dir: str) -> tuple[set[int], tuple[int, ...]]:
    threadpool_limits(limits=2, user_api="blas")  # as on a 2-core machine, even on one core
    init_worker(LabelConfig(model_dir, Options(), "jsonl", True, 10_000_000))
    return _blas_threads(), gc.get_threshold()


def _threads_after_serve_jobs(model_dir: str) -> set[int]:
    threadpool_limits(limits=2, user_api="blas")
    here, there = socket.socketpair()
    there.shutdown(socket.SHUT_WR)  # no jobs: serve_jobs says READY and returns
    serve_jobs(here, model_dir)
    return _blas_threads()


def _in_child(func: object, *args: object) -> object:
    # Started as ``label`` starts its workers: forked only when this process runs one thread.
    # A forked pool beside the threads earlier tests leave behind (Dask's offload thread)
    # once left its worker waiting for ever on the task queue's lock.
    with multiprocessing.get_context(start_method()).Pool(1) as pool:
        return pool.apply(func, args)  # type: ignore[arg-type]


def test_inline_run_keeps_blas_to_one_thread_and_restores_the_settings() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        before_gc = gc.get_threshold()
        with labelling_runtime():
            assert _blas_threads() == {BLAS_THREADS}
            assert gc.get_threshold() == GC_THRESHOLD
        assert _blas_threads() == {2}
        assert gc.get_threshold() == before_gc


def test_a_label_worker_keeps_blas_to_one_thread(tiny_model: Path) -> None:
    threads, threshold = _in_child(_settings_after_init_worker, str(tiny_model))  # type: ignore[misc]
    assert threads == {BLAS_THREADS}
    assert tuple(threshold) == GC_THRESHOLD


def test_a_service_analysis_process_keeps_blas_to_one_thread(tiny_model: Path) -> None:
    assert _in_child(_threads_after_serve_jobs, str(tiny_model)) == {BLAS_THREADS}
