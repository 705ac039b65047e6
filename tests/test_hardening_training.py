"""Issue 15, training items: `train --out` never destroys files (1), clear errors and exit codes
instead of tracebacks (10), malformed label data names its file and line (18), warnings for
unnamed and conflicting labels (24)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import DataError
from classifier.training.datasets import read_examples

from .classifier_fixtures import make_rows, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("hard-train") / "rows.jsonl",
                       make_rows(per_theme=3, negatives=6))


def _train(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["train", *args])
    return result.exit_code, result.output


# -- item 1 -------------------------------------------------------------------------------------

def test_out_folder_of_documents_is_refused_at_once(data: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.docx").write_bytes(b"years of work")
    code, out = _train(str(data), "--out", str(docs), "--cv", "0")
    assert code == 2 and "other files" in out and "Traceback" not in out
    # Checked before anything is read (so before any fitting): a missing data file is not
    # even noticed.
    code, out = _train(str(docs / "nosuch.jsonl"), "--out", str(docs))
    assert code == 2 and "other files" in out and "no such data file" not in out
    assert [p.name for p in docs.iterdir()] == ["report.docx"]
    assert (docs / "report.docx").read_bytes() == b"years of work"


def test_out_regular_file_and_dot_are_refused(data: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", "utf-8")
    code, out = _train(str(data), "--out", str(notes))
    assert code == 2 and "is a file" in out and notes.read_text("utf-8") == "my notes"
    work = tmp_path / "work"
    work.mkdir()
    (work / "page.txt").write_text("x", "utf-8")
    monkeypatch.chdir(work)
    code, out = _train(str(data), "--out", ".")
    assert code == 2 and "Traceback" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "work"]
    assert [p.name for p in work.iterdir()] == ["page.txt"]


def test_existing_model_needs_force(data: Path, tiny_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(tiny_model, target)
    before = json.loads((target / "meta.json").read_text("utf-8"))["created_at"]
    code, out = _train(str(tmp_path / "nosuch.jsonl"), "--out", str(target), "--cv", "0")
    assert code == 2 and "--force" in out  # refused before the data is even opened
    assert json.loads((target / "meta.json").read_text("utf-8"))["created_at"] == before
    code, out = _train(str(data), "--out", str(target), "--cv", "0", "--force")
    assert code == 0, out
    meta = json.loads((target / "meta.json").read_text("utf-8"))
    assert meta["training"]["n_examples"] == len(make_rows(per_theme=3, negatives=6))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


# -- item 10 ------------------------------------------------------------------------------------

def test_missing_data_and_bad_out_paths_are_clean_errors(data: Path, tmp_path: Path) -> None:
    (tmp_path / "emptydir").mkdir()
    afile = tmp_path / "afile"
    afile.write_text("x", "utf-8")
    cases = [
        ([str(tmp_path / "nosuch.jsonl"), "--out", str(tmp_path / "m1")], 1,
         "no such data file"),
        ([str(tmp_path / "emptydir"), "--out", str(tmp_path / "m2")], 1, "is a folder"),
        ([str(data), "--out", str(afile / "m")], 2, "is a file, not a folder"),
    ]
    if Path("/proc/self").is_dir():
        cases.append(([str(data), "--out", "/proc/m"], 1, "cannot write in /proc"))
    for args, want, needle in cases:
        code, out = _train(*args, "--cv", "0")
        assert code == want and needle in out and "Traceback" not in out, (args, out)
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


# -- item 18 ------------------------------------------------------------------------------------

GOOD = json.dumps({"text": "职工技能大赛在广州举行。", "labels": ["skills_competition"]},
                  ensure_ascii=False)


@pytest.mark.parametrize("bad, needle", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"text": "a", "labels": [], "n": 1' + "1" * 5000 + "}", "invalid JSON"),
    ('{"text": "\\ud800", "labels": []}', "lone surrogate"),
    ('{"text": "ok", "title": "\\udc00", "labels": []}', "lone surrogate"),
    ('{"text": "ok", "labels": ["\\ud800"]}', "lone surrogate"),
    ('{"text": "ok", "labels": [], "id": {"a": 1}}', "'id' must be"),
], ids=["deep", "long-number", "surrogate-text", "surrogate-title", "surrogate-label", "id"])
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, bad: str, needle: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(f"{GOOD}\n{bad}\n{GOOD}\n", "utf-8")
    with pytest.raises(DataError, match=rf"d\.jsonl:2: .*{needle}"):
        read_examples(path)
    examples, skipped = read_examples(path, skip_bad=True)
    assert len(examples) == 2 and skipped == 1


def test_csv_field_over_the_csv_limit(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("text,labels\n" + '"' + "工" * 140_000 + '",x\n' + "好,y\n", "utf-8")
    with pytest.raises(DataError, match=r"d\.csv:2: unreadable CSV row"):
        read_examples(path)
    examples, skipped = read_examples(path, skip_bad=True)
    assert [e.text for e in examples] == ["好"] and skipped == 1


@pytest.mark.parametrize("task, needle", [
    ({"data": {"text": "a"}, "annotations": [1]}, "annotations\\[0\\] must be an object"),
    ({"data": {"text": "a"}, "annotations": {"result": []}}, "'annotations' must be a list"),
    ({"data": {"text": "a"}, "annotations": [{"result": [
        {"type": "choices", "value": {"choices": "x"}}]}]}, "value.choices, a list"),
    ({"data": {"text": "a"}, "annotations": [{"result": 5}]}, "'result' list"),
])
def test_bad_label_studio_task_names_it(tmp_path: Path, task: object, needle: str) -> None:
    good = {"data": {"text": "好"}, "annotations": [{"result": [
        {"type": "choices", "value": {"choices": ["x"]}}]}]}
    path = tmp_path / "studio.json"
    path.write_text(json.dumps([good, task]), "utf-8")
    with pytest.raises(DataError, match=rf"studio\.json:task 2: .*{needle}"):
        read_examples(path)
    examples, skipped = read_examples(path, skip_bad=True)
    assert len(examples) == 1 and skipped == 1


def test_evaluate_on_malformed_data_is_a_clean_error(tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(f"{GOOD}\n" + "[" * 100_000 + "\n", "utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--model", str(tiny_model)])
    assert result.exit_code == 1 and "d.jsonl:2" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["evaluate", str(path), "--model", str(tiny_model),
                                 "--skip-bad"])
    assert result.exit_code == 0, result.output


# -- item 24 ------------------------------------------------------------------------------------

def test_conflicting_duplicate_ids_are_warned(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    from classifier.training.trainer import _read_all

    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "7", "text": "甲", "labels": ["x"]},
                                           {"id": "8", "text": "乙", "labels": ["y"]}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "7", "text": "甲", "labels": ["z"]},
                                           {"id": "8", "text": "乙", "labels": ["y"]}])
    with caplog.at_level(logging.WARNING):
        examples, _, _ = _read_all([a, b], skip_bad=False)
    assert {e.id: e.labels for e in examples} == {"7": ("z",), "8": ("y",)}
    warned = [r.getMessage() for r in caplog.records if "appears twice" in r.getMessage()]
    assert len(warned) == 1 and "'7'" in warned[0]


def test_new_theme_warning_says_how_to_name_it(caplog: pytest.LogCaptureFixture) -> None:
    from classifier.model.taxonomy import load_taxonomy
    from classifier.training.trainer import _label_set

    tax = load_taxonomy()
    with caplog.at_level(logging.WARNING):
        labels, _ = _label_set(tax, [tax.ids[0], "desk_new"])
    assert labels[-1] == "desk_new"
    assert any("--taxonomy" in r.getMessage() for r in caplog.records)
