"""Batch labelling (classifier.labelling: runner, tasks, output)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifier.labelling import tasks as inputs
from classifier.labelling import worker
from classifier.labelling.output import CSV_COLUMNS, completed_tasks
from classifier.labelling.runner import NoInputsError, UsageError, label
from classifier.model.store import load_model

from .conftest import read_records, seed_path, seed_text


def test_mixed_folder_labels_good_pages_and_reports_bad_ones(
        mixed_folder: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = label([str(mixed_folder)], out=out, workers=1, model=tiny_model, progress=False)
    records = read_records(out)
    sources = [Path(r["source"]).relative_to(mixed_folder).as_posix() for r in records]
    # Sorted names within each folder, nested folders in place, the loop not walked again.
    order = list(dict.fromkeys(sources))
    assert order == ["a_utf8.txt", "b_gb18030.txt", "e_empty.txt", "f_binary.txt",
                     "nested/c_utf16.txt", "nested/deeper/d_big5.txt", "self.txt"]
    errors = {Path(r["source"]).name: r["error"] for r in records if "error" in r}
    assert set(errors) == {"e_empty.txt", "f_binary.txt", "self.txt"}
    assert "empty" in errors["e_empty.txt"] and "binary" in errors["f_binary.txt"]
    assert all(set(r) == {"source", "error"} for r in records if "error" in r)
    # Every good page is labelled with readable titles equal to those of the UTF-8 original.
    plain = tmp_path / "plain"
    plain.mkdir()
    for prefix in ("000", "001", "002", "003"):
        shutil.copy(seed_path(prefix), plain / f"{prefix}.txt")
    reference = tmp_path / "ref.jsonl"
    label([str(plain)], out=reference, workers=1, model=tiny_model, progress=False)
    ref_titles: dict[str, list[str]] = {}
    for r in read_records(reference):
        ref_titles.setdefault(Path(r["source"]).stem, []).append(r["title"])
    got: dict[str, list[str]] = {}
    for r in records:
        if "error" not in r:
            assert r["labels"] == [k for k in r["labels"] if k in r["scores"]]
            assert r["title"] and "\ufffd" not in r["title"]
            got.setdefault(Path(r["source"]).name, []).append(r["title"])
    assert got["a_utf8.txt"] == ref_titles["000"]
    assert got["b_gb18030.txt"] == ref_titles["001"]
    assert got["c_utf16.txt"] == ref_titles["002"]
    # Big5 went through traditional characters and back (OpenCC t2s): nearly the same titles.
    assert len(got["d_big5.txt"]) == len(ref_titles["003"])
    for title, ref in zip(got["d_big5.txt"], ref_titles["003"], strict=True):
        assert sum(a == b for a, b in zip(title, ref, strict=False)) >= 0.8 * len(ref)
    assert summary.files == 7 and summary.errors == 3 and summary.failed_inputs == 3
    assert summary.articles == len(records) - 3 and not summary.interrupted


def jsonl_input(path: Path, n: int = 23) -> Path:
    """A JSONL file of short records with ids, a blank line, bad JSON and a record without text."""
    rows = [json.dumps({"id": f"r{k}", "title": f"第{k}条", "text": seed_text("004")[k * 40:
                        k * 40 + 200]}, ensure_ascii=False) for k in range(n)]
    rows[5] = ""
    rows[9] = "{not json"
    rows[14] = json.dumps({"id": "no-text"})
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def test_jsonl_records_keep_ids_and_bad_lines_become_errors(
        tmp_path: Path, tiny_model: Path) -> None:
    src = jsonl_input(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    summary = label([str(src)], out=out, workers=1, model=tiny_model, progress=False)
    records = read_records(out)
    assert len(records) == 22  # 23 lines, one blank
    assert [r.get("id") for r in records[:3]] == ["r0", "r1", "r2"]
    bad = [r for r in records if "error" in r]
    assert [r["line"] for r in bad] == [10, 15]
    assert "invalid JSON" in bad[0]["error"] and '"text"' in bad[1]["error"]
    assert summary.files == 1 and summary.errors == 2 and summary.articles == 20


def test_two_workers_write_exactly_what_one_worker_writes(
        mixed_folder: Path, tmp_path: Path, tiny_model: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "CHUNK_LINES", 4)  # several chunks from one small JSONL file
    src = jsonl_input(tmp_path / "in.jsonl")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.jsonl"
        label([str(src), str(mixed_folder), str(src)], out=out, workers=workers,
              model=tiny_model, progress=False)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0].count(b"\n") > 25


def test_resume_after_a_cut_anywhere_equals_an_uninterrupted_run(
        tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "CHUNK_LINES", 4)
    pages = tmp_path / "pages"
    pages.mkdir()
    for k in range(6):
        (pages / f"p{k}.txt").write_text(seed_text("000")[k * 300:k * 300 + 900], "utf-8")
    src = jsonl_input(tmp_path / "in.jsonl")
    args = [str(pages), str(src)]
    full = tmp_path / "full.jsonl"
    label(args, out=full, workers=1, model=tiny_model, progress=False)
    data = full.read_bytes()
    newlines = [i for i, b in enumerate(data) if b == 10]
    # Cut after whole records, in the middle of a record, and inside the jsonl part.
    for cut in (0, newlines[2] + 1, newlines[7] + 15, newlines[-6] + 1, len(data) - 3):
        part = tmp_path / f"cut{cut}.jsonl"
        part.write_bytes(data[:cut])
        summary = label(args, out=part, workers=1, resume=True, model=tiny_model,
                        progress=False)
        assert part.read_bytes() == data, cut
        if cut > newlines[2]:
            assert summary.skipped_tasks > 0


def test_resume_skips_everything_when_complete_and_refuses_foreign_output(
        tmp_path: Path, tiny_model: Path) -> None:
    src = jsonl_input(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    label([str(src)], out=out, workers=1, model=tiny_model, progress=False)
    done = completed_tasks(out, "jsonl")  # the last block is dropped: it may be incomplete
    assert done == set()
    label([str(src)], out=out, workers=1, resume=True, model=tiny_model, progress=False)
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("hello\nworld\n", "utf-8")
    with pytest.raises(UsageError, match="not a jsonl label record"):
        label([str(src)], out=foreign, resume=True, model=tiny_model, progress=False)
    assert foreign.read_text("utf-8") == "hello\nworld\n"


def test_csv_output_one_row_per_record_and_resumable(
        tmp_path: Path, tiny_model: Path) -> None:
    import csv

    src = jsonl_input(tmp_path / "in.jsonl")
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(seed_path("001"), pages / "a.txt")
    full = tmp_path / "full.csv"
    label([str(pages), str(src)], out=full, fmt="csv", workers=1, model=tiny_model,
          progress=False)
    text = full.read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    labels = load_model(tiny_model).labels
    assert list(rows[0]) == [*CSV_COLUMNS, *(f"score:{lab}" for lab in labels)]
    assert all(float(r[f"score:{labels[0]}"]) == json.loads(r["scores"])[labels[0]]
               for r in rows if not r["error"])
    assert len(rows) == len(text.splitlines()) - 1  # one physical line per record
    good = [r for r in rows if not r["error"]]
    assert all(set(json.loads(r["scores"])) for r in good)
    assert any(r["id"] == "r0" for r in good) and [r["line"] for r in rows if r["error"]] == [
        "10", "15"]
    part = tmp_path / "part.csv"
    part.write_text(text[: len(text) // 2], "utf-8")
    label([str(pages), str(src)], out=part, fmt="csv", resume=True, workers=1,
          model=tiny_model, progress=False)
    assert part.read_text("utf-8") == text
    not_csv = tmp_path / "other.csv"
    shutil.copy(src, not_csv)
    with pytest.raises(UsageError, match="CSV header"):
        label([str(src)], out=not_csv, fmt="csv", resume=True, model=tiny_model)
    with pytest.raises(UsageError, match="is also an input"):
        label([str(src)], out=src, fmt="csv", resume=True, model=tiny_model)


def test_glob_explicit_files_and_missing_inputs(tmp_path: Path, tiny_model: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.text").write_text(seed_text("000")[:600], "utf-8")
    (pages / "b.txt").write_text(seed_text("000")[:600], "utf-8")
    out = tmp_path / "out.jsonl"
    label([str(pages)], out=out, glob="*.text", workers=1, model=tiny_model, progress=False)
    assert {Path(r["source"]).name for r in read_records(out)} == {"a.text"}
    missing = str(tmp_path / "nope.txt")
    summary = label([str(pages / "a.text"), missing], out=out, workers=1, model=tiny_model,
                    progress=False)
    assert read_records(out)[-1] == {"source": missing,
                                     "error": f"{missing}: no such file or directory"}
    assert summary.failed_inputs == 1 and summary.articles >= 1
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NoInputsError, match="--glob"):
        label([str(empty)], out=out, model=tiny_model)
    with pytest.raises(UsageError, match="format"):
        label([str(pages)], fmt="xml", model=tiny_model)


def test_directory_walk_is_lazy_and_follows_a_linked_folder_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x", "utf-8")
    os.symlink(tmp_path / "a", tmp_path / "b")  # a second link to the same folder
    os.symlink(tmp_path / "missing", tmp_path / "c.txt")  # dangling: reported when read
    walk = inputs.iter_paths([str(tmp_path)])
    assert next(walk) == (str(tmp_path / "a" / "x.txt"), "")
    assert list(walk) == [(str(tmp_path / "c.txt"), "")]
    assert inputs.chunk_of("x.jsonl", 1) == 0 and inputs.chunk_of("x.txt", 9) == inputs.WHOLE


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads directories whatever their mode")
def test_unreadable_folder_becomes_an_error_entry(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        ((name, error),) = list(inputs.iter_paths([str(tmp_path)]))
    finally:
        locked.chmod(0o755)
    assert name == str(locked) and "cannot list" in error


def test_an_unexpected_error_on_one_input_becomes_an_error_record(
        tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = worker.analyze

    def fragile(articles: Any, model: Any, options: Any = None) -> Any:
        if any("boom" in a.source for a in articles):
            raise RuntimeError("bad day")
        return real(articles, model, options)

    monkeypatch.setattr(worker, "analyze", fragile)
    (tmp_path / "a.txt").write_text(seed_text("000")[:600], "utf-8")
    (tmp_path / "boom.txt").write_text(seed_text("000")[:600], "utf-8")
    out = tmp_path / "out.jsonl"
    summary = label([str(tmp_path)], out=out, workers=1, model=tiny_model, progress=False)
    last = read_records(out)[-1]
    assert last["source"].endswith("boom.txt") and "RuntimeError" in last["error"]
    assert summary.articles >= 1 and summary.failed_inputs == 1
