"""``label --engine dask``: a real scheduler and two worker processes on loopback.

The output of every Dask run is compared byte for byte with a local run of the same inputs; one
test kills a worker process mid-run; the workers (not the client) must do the labelling, each
loading the model once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import ModelError, UsageError
from classifier.labelling.runner import label

from .conftest import SEEDS

INSTALL = "pip install 'classifier[dask]'"
runner = CliRunner()


def _need_dask() -> None:
    pytest.importorskip("distributed", reason=f"needs Dask: {INSTALL}")


def _records(n: int) -> list[str]:
    """``n`` JSONL lines built from the seed pages' paragraphs, with a few bad lines."""
    paragraphs = [p for path in sorted(SEEDS.glob("*.txt"))
                  for p in path.read_text("utf-8").split("\n") if len(p) > 30]
    lines = []
    for i in range(n):
        text = paragraphs[i % len(paragraphs)] + "\n" + paragraphs[(7 * i + 3) % len(paragraphs)]
        lines.append(json.dumps({"id": f"r{i}", "title": paragraphs[(3 * i) % len(paragraphs)]
                                 [:20], "text": text}, ensure_ascii=False))
    lines[17] = "not json at all"
    lines[150] = json.dumps({"id": "no-text"})
    return lines


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A 300-record JSONL file (two bad lines), 24 pages, and a missing file: 27 tasks."""
    root = tmp_path_factory.mktemp("dask-inputs")
    (root / "records.jsonl").write_text("\n".join(_records(300)) + "\n", "utf-8")
    pages = root / "pages"
    pages.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(24):
        shutil.copy(seeds[i % len(seeds)], pages / f"page{i:02d}.txt")
    return [str(root / "records.jsonl"), str(pages), str(root / "missing.txt")]


@pytest.fixture(scope="module")
def local_out(inputs: list[str], tiny_model: Path,
              tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """What the local engine writes for ``inputs``."""
    out = tmp_path_factory.mktemp("dask-local") / "local.jsonl"
    label(inputs, out=out, model=tiny_model, workers=1, progress=False)
    return out.read_bytes()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A scheduler and two single-threaded worker processes (with nannies) on loopback."""
    _need_dask()
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as lc, \
            Client(lc, set_as_default=False) as client:
        yield client


def _stats(client: Any) -> dict[str, dict[str, int]]:
    from classifier.labelling.engines.dask import worker_stats

    return client.run(worker_stats)  # type: ignore[no-any-return]


def test_dask_run_equals_local_run_and_workers_do_the_work(
        cluster: Any, inputs: list[str], local_out: bytes, tiny_model: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import classifier.labelling.worker as worker

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the client labelled an article")

    monkeypatch.setattr(worker, "analyze", refuse)  # this process only: workers are spawned
    before = _stats(cluster)
    out = tmp_path / "dask.jsonl"
    result = runner.invoke(app, ["label", *inputs, "--out", str(out), "--model", str(tiny_model),
                                 "--engine", "dask", "--scheduler", cluster.scheduler.address])
    assert result.exit_code == 3, result.output  # 3: some inputs failed (bad lines, missing)
    assert out.read_bytes() == local_out
    errors = [r for r in map(json.loads, local_out.decode().splitlines()) if "error" in r]
    assert len(errors) == 3 and any("missing.txt" in e["source"] for e in errors)
    after = _stats(cluster)
    assert len(after) == 2
    done = {w: after[w]["tasks"] - before.get(w, {}).get("tasks", 0) for w in after}
    assert sum(done.values()) == 27 and all(n > 0 for n in done.values()), done
    assert {s["pid"] for s in after.values()}.isdisjoint({os.getpid()})
    assert all(s["loads"] == 1 for s in after.values()), after  # once per process, not per task
    # A second run on the same workers loads nothing again.
    label(inputs, out=tmp_path / "again.jsonl", model=tiny_model, engine="dask",
          scheduler=cluster.scheduler.address, partitions=2, progress=False)
    assert (tmp_path / "again.jsonl").read_bytes() == local_out
    assert all(s["loads"] == 1 for s in _stats(cluster).values())


def test_resume_with_dask_completes_a_cut_output(
        cluster: Any, inputs: list[str], local_out: bytes, tiny_model: Path,
        tmp_path: Path) -> None:
    out = tmp_path / "cut.jsonl"
    lines = local_out.splitlines(keepends=True)
    cut = sum(map(len, lines[:-20])) + 40  # near the end, inside a line
    out.write_bytes(local_out[:cut])
    summary = label(inputs, out=out, model=tiny_model, resume=True, engine="dask",
                    scheduler=cluster.scheduler.address, progress=False)
    assert summary.skipped_tasks > 0
    assert out.read_bytes() == local_out


def test_killing_a_worker_mid_run_loses_and_duplicates_nothing(
        cluster: Any, inputs: list[str], local_out: bytes, tiny_model: Path,
        tmp_path: Path) -> None:
    from classifier.labelling.engines.dask import worker_stats

    out = tmp_path / "killed.jsonl"
    pids = {s["pid"] for s in _stats(cluster).values()}
    victim = min(pids)
    seen: dict[str, int] = {}

    def kill_after_first_block() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and out.stat().st_size > 0:
                seen["lines"] = out.read_bytes().count(b"\n")
                os.kill(victim, signal.SIGKILL)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_after_first_block)
    killer.start()
    try:
        label(inputs, out=out, model=tiny_model, engine="dask",
              scheduler=cluster.scheduler.address, progress=False)
    finally:
        killer.join()
    total = local_out.count(b"\n")
    assert 0 < seen["lines"] < total  # the worker died mid-run
    assert out.read_bytes() == local_out  # every record once, in order
    # The nanny restarts the killed worker (a new process) for the tests that follow.
    deadline = time.monotonic() + 60
    while True:
        alive = {s["pid"] for s in cluster.run(worker_stats, on_error="ignore").values()}
        if (len(alive) == 2 and victim not in alive) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(alive) == 2 and victim not in alive, (victim, alive)


def test_local_cluster_csv_and_memory_urls(
        inputs: list[str], tiny_model: Path, tmp_path: Path) -> None:
    """No --scheduler: a local cluster of --workers processes (one, to keep the test short);
    fsspec URLs in and out."""
    _need_dask()
    import fsspec

    fs = fsspec.filesystem("memory")
    records = Path(inputs[0]).read_bytes()
    fs.pipe({"/dask-test/in/records.jsonl": records,
             "/dask-test/in/pages/a.txt": (SEEDS / sorted(os.listdir(SEEDS))[0]).read_bytes(),
             "/dask-test/in/pages/b.txt": bytes(range(256)) * 8})
    url_inputs = ["memory://dask-test/in/records.jsonl", "memory://dask-test/in/pages"]
    expected = tmp_path / "local.csv"
    label(url_inputs, out=expected, fmt="csv", model=tiny_model, workers=1, progress=False)
    text = expected.read_text("utf-8")
    assert "memory://dask-test/in/pages/a.txt" in text and "binary" in text
    out = "memory://dask-test/out/labels.csv"
    label(url_inputs, out=out, fmt="csv", model=tiny_model, workers=1, engine="dask",
          progress=False)
    assert fs.cat_file("/dask-test/out/labels.csv") == expected.read_bytes()
    # --resume into a URL: the object is rewritten as a local resume would leave the file.
    whole = expected.read_bytes()
    lines = whole.splitlines(keepends=True)
    fs.pipe_file("/dask-test/out/labels.csv", b"".join(lines[:-3]) + lines[-3][:30])
    summary = label(url_inputs, out=out, fmt="csv", model=tiny_model, resume=True,
                    progress=False)
    assert summary.skipped_tasks > 0
    assert fs.cat_file("/dask-test/out/labels.csv") == whole
    fs.rm("/dask-test", recursive=True)


def test_file_urls_are_local_paths(inputs: list[str], local_out: bytes, tiny_model: Path,
                                   tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    label([Path(name).as_uri() for name in inputs[:2]] + [inputs[2]], out=out.as_uri(),
          model=tiny_model, workers=1, progress=False)
    assert out.read_bytes() == local_out


def test_a_worker_loads_shipped_model_bytes_verified(tiny_model: Path, tmp_path: Path) -> None:
    """Workers that cannot see the model directory load it from the bytes the plugin carries,
    checked like any model directory."""
    from classifier.labelling.engines.dask import ModelRef, worker_model

    ref = ModelRef.of(tiny_model, with_files=True)
    moved = ModelRef(str(tmp_path / "elsewhere"), ref.digest, ref.files)
    model = worker_model(moved, str(tmp_path))
    assert worker_model(moved.light()) is model  # cached by (directory, meta hash)
    with pytest.raises(ModelError, match="not on this worker"):
        worker_model(ModelRef(str(tmp_path / "nowhere"), ref.digest))
    tampered = tuple((n, d[:-1] + bytes([d[-1] ^ 1]) if n == "words.txt" else d)
                     for n, d in ref.files)
    with pytest.raises(ModelError, match="does not match the sha256"):
        worker_model(ModelRef(str(tmp_path / "other"), ref.digest, tampered), str(tmp_path))
    with pytest.raises(UsageError, match="install the same version on every machine"):
        worker_model(ModelRef(ref.model_dir, ref.digest, version="0.0.0-other"))


def test_engine_dask_without_the_extra_exits_2_with_the_install_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_text("工会", "utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    monkeypatch.delitem(sys.modules, "classifier.labelling.engines.dask", raising=False)
    result = runner.invoke(app, ["label", str(page), "--engine", "dask"])
    assert result.exit_code == 2, result.output
    assert INSTALL in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, ImportError)


def test_dask_options_need_the_dask_engine(tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_text("工会", "utf-8")
    for extra in (["--scheduler", "tcp://127.0.0.1:8786"], ["--partitions", "4"]):
        result = runner.invoke(app, ["label", str(page), *extra])
        assert result.exit_code == 2 and "--engine dask" in result.output, result.output
