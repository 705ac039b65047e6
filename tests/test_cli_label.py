"""The ``label`` command: CliRunner tests, exit codes, and a real SIGINT + ``--resume``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app

from .conftest import ROOT, read_records, seed_path, seed_text

runner = CliRunner()


def records_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_label_folder_to_stdout_exit_3_with_error_records(
        mixed_folder: Path, tiny_model: Path) -> None:
    result = runner.invoke(app, ["label", str(mixed_folder), "--model", str(tiny_model),
                                 "--workers", "2"])
    assert result.exit_code == 3, result.output
    records = records_of(result.stdout)
    assert sum("error" in r for r in records) == 3
    assert all(r["title"] for r in records if "error" not in r)
    assert "Traceback" not in result.stderr
    assert "labelled 7 inputs" in result.stderr and "3 errors" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_label_out_file_csv_and_exit_0(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["label", str(seed_path("000")), str(seed_path("003")),
                                 "--out", str(out), "--format", "csv", "-m", str(tiny_model),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # results only in --out
    lines = out.read_text("utf-8").splitlines()
    assert lines[0].startswith("source,id,article,title,labels,scores")
    assert len(lines) > 2


def test_label_stdin(tiny_model: Path) -> None:
    result = runner.invoke(app, ["label", "-", "-m", str(tiny_model)],
                           input=seed_text("002").encode("utf-8"))
    assert result.exit_code == 0, result.output
    records = records_of(result.stdout)
    assert records and {r["source"] for r in records} == {"<stdin>"}


@pytest.mark.parametrize(("args", "message"), [
    (["label"], "no inputs"),
    (["label", "SEED", "--resume"], "--resume needs --out"),
    (["label", "SEED", "--format", "xml"], "unknown format"),
    (["label", "EMPTYDIR"], "no input files"),
])
def test_label_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                                   tiny_model: Path) -> None:
    (tmp_path / "empty").mkdir()
    subst = {"SEED": str(seed_path("000")), "EMPTYDIR": str(tmp_path / "empty")}
    result = runner.invoke(app, [subst.get(a, a) for a in args] + ["-m", str(tiny_model)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr


def test_label_exit_1_when_nothing_can_be_done(tmp_path: Path, tiny_model: Path) -> None:
    bad_model = runner.invoke(app, ["label", str(seed_path("000")), "-m",
                                    str(tmp_path / "no-model")])
    assert bad_model.exit_code == 1 and "not found" in bad_model.stderr
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    all_failed = runner.invoke(app, ["label", str(empty), str(tmp_path / "missing.txt"),
                                     "-m", str(tiny_model)])
    assert all_failed.exit_code == 1, all_failed.output
    assert len(records_of(all_failed.stdout)) == 2


def test_label_help_documents_every_option() -> None:
    result = runner.invoke(app, ["label", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--format", "--glob", "--workers", "--resume", "--no-split",
                   "--model", "--progress"):
        assert option in result.stdout


# --- interrupt and resume, as a user would: a real process and a real SIGINT ---------------


def many_pages(root: Path, n: int) -> Path:
    """``n`` small pages (one article each) cut from the seeds."""
    root.mkdir()
    texts = [seed_text(p) for p in ("000", "001", "002", "003", "004")]
    for k in range(n):
        text = texts[k % 5]
        start = (k * 97) % max(len(text) - 700, 1)
        (root / f"page{k:04d}.txt").write_text(f"第{k}号通讯\n{text[start:start + 600]}\n",
                                               "utf-8")
    return root


def run_label(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A session of its own, so a signal can go to the whole process group like Ctrl-C does.
    return subprocess.Popen([sys.executable, "-m", "classifier", "label", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def interrupt_after(proc: subprocess.Popen[str], out: Path, lines: int, sig: int) -> str:
    """Send ``sig`` to the process group once ``out`` holds ``lines`` lines; return stderr."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    return proc.communicate(timeout=120)[1]


def test_sigint_then_resume_gives_the_records_of_an_uninterrupted_run(
        tmp_path: Path, tiny_model: Path) -> None:
    pages = many_pages(tmp_path / "pages", 400)
    common = [str(pages), "-m", str(tiny_model), "--workers", "2", "--no-progress"]
    out = tmp_path / "out.jsonl"
    proc = run_label([*common, "--out", str(out)])
    stderr = interrupt_after(proc, out, 20, signal.SIGINT)  # Ctrl-C: parent and workers
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "interrupted by SIGINT" in stderr and "--resume" in stderr
    partial = read_records(out)
    assert 20 <= len(partial) < 400  # really interrupted part-way
    resumed = run_label([*common, "--out", str(out), "--resume"])
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    full = tmp_path / "full.jsonl"
    result = runner.invoke(app, ["label", *common[:3], "--workers", "1", "--out", str(full)])
    assert result.exit_code == 0, result.output
    got, want = read_records(out), read_records(full)
    assert [r["id"] for r in got] == [r["id"] for r in want]
    assert got == want


def test_sigterm_stops_cleanly_with_complete_records(tmp_path: Path,
                                                     tiny_model: Path) -> None:
    pages = many_pages(tmp_path / "pages", 300)
    out = tmp_path / "out.jsonl"
    proc = run_label([str(pages), "-m", str(tiny_model), "--workers", "2", "--out", str(out)])
    stderr = interrupt_after(proc, out, 10, signal.SIGTERM)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr and "interrupted by SIGTERM" in stderr
    text = out.read_text("utf-8")
    assert text.endswith("\n") and 10 <= len(read_records(out)) < 300
