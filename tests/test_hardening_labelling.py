"""Batch labelling never destroys a file, never hangs, never shows a traceback (issue 15:
items 3, 4, 6, 7, 8, 17, 22, 23, 25, 26)."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import signal
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import OptionError, UsageError
from classifier.labelling.output import BOM
from classifier.labelling.runner import label

from .conftest import read_records, seed_text
from .test_cli_label import many_pages, run_label

runner = CliRunner()


def page(path: Path, k: int = 0) -> Path:
    path.write_text(f"第{k}号通讯\n{seed_text('000')[:500]}\n", "utf-8")
    return path


# --- item 3: --out is also an input ------------------------------------------------------------


@pytest.mark.parametrize("name", ["in.txt", "in.jsonl"])
def test_out_that_is_an_input_is_refused(tmp_path: Path, tiny_model: Path, name: str) -> None:
    src = tmp_path / name
    if name.endswith(".jsonl"):
        src.write_text('{"id": "a", "text": "职工技能大赛举行。"}\n' * 3, "utf-8")
    else:
        page(src)
    before = src.read_bytes()
    link = tmp_path / "link.out"
    link.symlink_to(src)
    for out in (src, link):
        result = runner.invoke(app, ["label", str(src), "--out", str(out), "-m",
                                     str(tiny_model)])
        assert result.exit_code == 2, result.output
        assert "is also an input" in result.stderr and "Traceback" not in result.output
    assert src.read_bytes() == before


# --- item 4: one writer per --out --------------------------------------------------------------


def test_a_second_writer_of_the_same_out_is_refused(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"source": "x", "error": "kept"}\n', "utf-8")
    with out.open("a") as held:  # another label run holds the lock
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UsageError, match="being written by another label run"):
            label([str(page(tmp_path / "a.txt"))], out=out, model=tiny_model, progress=False)
    assert out.read_text("utf-8") == '{"source": "x", "error": "kept"}\n'  # not truncated
    label([str(tmp_path / "a.txt")], out=out, model=tiny_model, progress=False)  # free again
    assert read_records(out)[0]["source"].endswith("a.txt")


# --- item 6: file names that are not UTF-8, or hold a newline ---------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_odd_file_names_are_written_and_resumed(tmp_path: Path, tiny_model: Path,
                                                fmt: str) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    names = [b"a-\xff\xfe.txt", b"b-line\nbreak.txt", "c-正常.txt".encode()]
    for k, raw in enumerate(names):
        page(Path(os.fsdecode(os.path.join(os.fsencode(folder), raw))), k)
    out = tmp_path / f"out.{fmt}"
    full = label([str(folder)], out=out, fmt=fmt, model=tiny_model, progress=False, workers=1)
    text = out.read_text("utf-8")  # valid UTF-8, one line per record
    assert full.errors == 0 and full.articles == 3
    if fmt == "jsonl":
        sources = [r["source"] for r in read_records(out)]
    else:
        sources = [r["source"] for r in csv.DictReader(io.StringIO(text))]
        assert len(text.splitlines()) == 4
    assert [Path(s).name for s in sources] == ["a-\\xff\\xfe.txt", "b-line\\nbreak.txt",
                                               "c-正常.txt"]
    keep = 3 if fmt == "csv" else 2  # header and two records
    cut = sum(len(line) for line in text.splitlines(keepends=True)[:keep])
    out.write_text(text[:cut], "utf-8")  # as if killed after two records
    again = label([str(folder)], out=out, fmt=fmt, resume=True, model=tiny_model,
                  progress=False, workers=1)
    assert out.read_text("utf-8") == text and again.skipped_tasks >= 1


# --- item 7: workers die with their parent -----------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_the_parent_leaves_no_workers(tmp_path: Path, tiny_model: Path) -> None:
    pages = many_pages(tmp_path / "pages", 300)
    out = tmp_path / "out.jsonl"
    proc = run_label([str(pages), "-m", str(tiny_model), "--workers", "2", "--out", str(out)])
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        workers = children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)


def test_workers_are_spawned_not_forked_beside_other_threads(tmp_path: Path,
                                                              tiny_model: Path) -> None:
    """A fork copies whatever lock another thread holds at that moment (this suite once hung
    on a pool worker forked beside the thread the Dask tests leave running). Beside other
    threads the workers are spawned; alone, ``label`` keeps forking (fast, the model
    shared)."""
    import subprocess
    import sys
    import threading

    probe = ("import threading, sys\n"
             "from classifier.labelling.engines.local import start_method\n"
             "print(start_method())\n"
             "if len(sys.argv) > 1:\n"
             "    stop = threading.Event()\n"
             "    threading.Thread(target=stop.wait, daemon=True).start()\n"
             "    print(start_method())\n"
             "    stop.set()\n")
    once = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split()
    twice = subprocess.run([sys.executable, "-c", probe, "thread"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert once == ["fork"] and twice == ["fork", "spawn"]
    # Spawned workers load the model themselves and label exactly as inline.
    pages = many_pages(tmp_path / "pages", 12)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        from classifier.labelling.engines.local import start_method

        assert start_method() == "spawn"
        label([str(pages)], out=tmp_path / "pooled.jsonl", workers=2, model=tiny_model,
              progress=False)
    finally:
        stop.set()
    label([str(pages)], out=tmp_path / "inline.jsonl", workers=1, model=tiny_model,
          progress=False)
    pooled, inline = read_records(tmp_path / "pooled.jsonl"), read_records(tmp_path /
                                                                             "inline.jsonl")
    assert len(pooled) >= 12 and pooled == inline  # a page may hold two articles


# --- item 8: a FIFO in a folder; a second Ctrl-C --------------------------------------------


def test_a_fifo_in_a_folder_is_an_error_record_not_a_hang(tmp_path: Path,
                                                          tiny_model: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    page(folder / "a.txt")
    os.mkfifo(folder / "b.txt")
    out = tmp_path / "out.jsonl"
    proc = run_label([str(folder), "-m", str(tiny_model), "--out", str(out), "--workers", "1"])
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr
    errors = [r["error"] for r in read_records(out) if "error" in r]
    assert len(errors) == 1 and "a FIFO, not a regular file" in errors[0]


def test_two_quick_ctrl_c_always_exit(tmp_path: Path, tiny_model: Path) -> None:
    pages = many_pages(tmp_path / "pages", 300)
    for attempt in range(3):
        out = tmp_path / f"out{attempt}.jsonl"
        proc = run_label([str(pages), "-m", str(tiny_model), "--workers", "2", "--out",
                          str(out), "--no-progress"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size):
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)  # a hang fails here
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr


# --- item 17: bounds -----------------------------------------------------------------------------


def test_workers_are_bounded_by_the_tasks_and_nonsense_is_refused(tmp_path: Path,
                                                                  tiny_model: Path) -> None:
    a, b = page(tmp_path / "a.txt"), page(tmp_path / "b.txt", 1)
    summary = label([str(a), str(b)], out=tmp_path / "o.jsonl", workers=200,
                    model=tiny_model, progress=False)
    assert summary.workers == 2 and summary.articles == 2
    with pytest.raises(OptionError, match="workers must be from 1 to 256"):
        label([str(a)], workers=400, model=tiny_model)
    result = runner.invoke(app, ["label", str(a), "--max-bytes", "-5"])
    assert result.exit_code == 2 and "Traceback" not in result.output


# --- items 22, 23, 26: what a newcomer sees -----------------------------------------------------


def test_label_prints_each_error_and_reads_english(tmp_path: Path, tiny_model: Path) -> None:
    a = page(tmp_path / "a.txt")
    missing = tmp_path / "gone.txt"
    result = runner.invoke(app, ["label", str(a), str(missing), "-m", str(tiny_model)])
    assert result.exit_code == 3
    assert f"error: {missing}: no such file" in result.stderr
    assert "labelled 2 inputs: 1 article, 1 error in" in result.stderr


def test_jsonl_on_stdin_is_detected_and_said(tiny_model: Path) -> None:
    lines = "".join(json.dumps({"id": f"r{k}", "text": "本报讯 市总工会开展职工技能大赛。"},
                               ensure_ascii=False) + "\n" for k in range(3))
    result = runner.invoke(app, ["label", "-", "-m", str(tiny_model)], input=lines)
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["r0", "r1", "r2"]
    assert "reading standard input as JSONL" in result.stderr
    result = runner.invoke(app, ["classify", "-", "--stdin-format", "text", "-m",
                                 str(tiny_model), "--format", "jsonl"], input=lines)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1


def test_excel_csv_has_a_bom_and_a_column_per_theme(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["label", str(page(tmp_path / "a.txt")), "--out", str(out),
                                 "--format", "csv", "--excel", "-m", str(tiny_model)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
    scores = json.loads(row["scores"])
    assert {k.removeprefix("score:") for k in row if k.startswith("score:")} == set(scores)
    again = runner.invoke(app, ["label", str(tmp_path / "a.txt"), "--out", str(out),
                                "--format", "csv", "--excel", "--resume", "-m",
                                str(tiny_model)])
    assert again.exit_code == 0, again.output
    assert out.read_bytes() == raw


def test_special_files_given_by_name_still_read(tmp_path: Path, tiny_model: Path) -> None:
    """A FIFO named on the command line is the user's choice (``<(cmd)``): it is read."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    proc = run_label([str(fifo), "-m", str(tiny_model), "--workers", "1"])
    with fifo.open("w", encoding="utf-8") as w:
        w.write(seed_text("000")[:500])
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout.splitlines()[0])["source"] == str(fifo)


def test_the_run_counts_articles_per_theme(tmp_path: Path, tiny_model: Path) -> None:
    """Item 22: the closing line on a terminal lists themes; the counts come from here."""
    out = tmp_path / "o.jsonl"
    summary = label([str(page(tmp_path / "a.txt")), str(page(tmp_path / "b.txt", 1))],
                    out=out, workers=1, model=tiny_model, progress=False)
    expected: dict[str, int] = {}
    for record in read_records(out):
        for theme in record["labels"]:
            expected[theme] = expected.get(theme, 0) + 1
    assert expected and dict(summary.themes) == expected
