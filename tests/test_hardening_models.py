"""Issue 15, model items: never destroy files when saving (1, 2, 10), validate everything
loaded (13), free dropped models at once (15), ship the default model (20), name new themes
by their id (24)."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import time
import weakref
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.errors import ModelError, OptionError, OutputError
from classifier.model import store
from classifier.model.store import (
    _sha256,
    check_output_dir,
    load_examples,
    load_model,
    resolve_model_dir,
    save_model,
)

from .classifier_fixtures import copy_model, read_meta, rehash, resave_v1, write_meta
from .conftest import ROOT


def _dead_pid() -> int:
    """The pid of a process that has exited (a killed save's)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- item 1: refuse to write over anything but a model ------------------------------------------

def test_output_dir_rules(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OptionError, match="other files"):
        check_output_dir(docs)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me", "utf-8")
    with pytest.raises(OptionError, match="is a file"):
        check_output_dir(notes, replace=True)
    with pytest.raises(OptionError, match="is a file, not a folder"):
        check_output_dir(notes / "m")
    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text("{}", "utf-8")
    with pytest.raises(OptionError, match="--force"):
        check_output_dir(model)
    assert check_output_dir(model, replace=True) == model
    (tmp_path / "empty").mkdir()
    assert check_output_dir(tmp_path / "empty") == tmp_path / "empty"
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert (docs / "thesis.docx").read_bytes() == b"precious"
    assert notes.read_text("utf-8") == "keep me"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_output_dir_that_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write in /proc"):
        check_output_dir("/proc/m")


def test_save_refuses_a_folder_of_documents(tiny_model: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("mine", "utf-8")
    with pytest.raises(OptionError):
        save_model(load_model(tiny_model), docs)
    assert [p.name for p in docs.iterdir()] == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # no temp folder left


# -- item 2: atomic replace, recovery, clean-up of killed saves, disk full ------------------------

def test_replace_never_leaves_the_name_missing(tiny_model: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an atomic swap, a failure of the second rename puts the old model back."""
    target = copy_model(tiny_model, tmp_path / "m")
    before = read_meta(target)["created_at"]
    monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls: list[str] = []

    def failing_second_rename(src: Any, dst: Any) -> None:
        calls.append(str(src))
        if len(calls) == 2:
            raise OSError(errno.EIO, "simulated failure between the renames")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_second_rename)
    model = load_model(tiny_model)
    model.meta["created_at"] = "new"
    with pytest.raises(OutputError, match="nothing was replaced"):
        save_model(model, target)
    monkeypatch.setattr(os, "rename", real_rename)
    assert read_meta(target)["created_at"] == before and load_model(target).labels
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_replace_uses_one_atomic_swap_on_linux(tiny_model: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = copy_model(tiny_model, tmp_path / "m")
    real_rename = os.rename

    def no_rename_of_the_model(src: Any, dst: Any) -> None:
        assert Path(src) != target, "the model was renamed away: the name went missing"
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", no_rename_of_the_model)
    model = load_model(tiny_model)
    model.meta["created_at"] = "swapped"
    save_model(model, target)
    assert read_meta(target)["created_at"] == "swapped"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_model_stranded_by_a_killed_save_is_restored(tiny_model: Path,
                                                       tmp_path: Path) -> None:
    stranded = copy_model(tiny_model, tmp_path / f".m.old-{_dead_pid()}-abcd")
    assert not (tmp_path / "m").exists()
    model = load_model(tmp_path / "m")  # the next load puts it back
    assert model.labels and (tmp_path / "m" / "meta.json").is_file()
    assert not stranded.exists()


def test_temp_folders_of_killed_saves_are_removed(tiny_model: Path, tmp_path: Path) -> None:
    dead = _dead_pid()
    leftover = tmp_path / f".m.tmp-{dead}-x1"
    leftover.mkdir()
    (leftover / "arrays.npz").write_bytes(b"\0" * 1000)
    live = tmp_path / f".m.tmp-{os.getppid()}-x2"  # a save still running elsewhere
    live.mkdir()
    other = tmp_path / f".other.tmp-{dead}-x3"  # not ours to judge
    other.mkdir()
    save_model(load_model(tiny_model), tmp_path / "m")
    assert not leftover.exists()
    assert live.exists() and other.exists()


def test_disk_full_while_saving_keeps_the_old_model(tiny_model: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = copy_model(tiny_model, tmp_path / "m")
    digest = _sha256(target / "arrays.safetensors")

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez_compressed", full)
    with pytest.raises(OutputError, match="No space left"):
        save_model(load_model(tiny_model), target)
    assert _sha256(target / "arrays.safetensors") == digest and load_model(target).labels
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


# -- item 13: every field of meta.json, every array -----------------------------------------------

def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(meta: dict[str, Any]) -> None:
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _first_threshold(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(meta: dict[str, Any]) -> None:
        meta["thresholds"][meta["labels"][0]["id"]] = value
    return change


def _duplicate_label(meta: dict[str, Any]) -> None:
    meta["labels"][1]["id"] = meta["labels"][0]["id"]


@pytest.mark.parametrize("change, needle", [
    (_first_threshold(0), "between 0 and 1"),
    (_first_threshold(float("nan")), "between 0 and 1"),
    (_first_threshold(1.5), "between 0 and 1"),
    (_first_threshold("high"), "between 0 and 1"),
    (_duplicate_label, "duplicate label id"),
    (_set(("labels",), []), "1 to"),
    (_set(("features", "char_hi"), 99), r"char_hi: expected a value in \[1, 8\]"),
    (_set(("features", "title_weight"), "2"), "expected an integer"),
    (_set(("features", "word_weight"), float("inf")), "finite number"),
    (_set(("features", "bogus"), 1), "unknown feature setting"),
    (_set(("lexicon_groups",), [[0]]), "one group per label"),
    (_set(("files", "words.txt"), "x"), "sha256 hex digest"),
    (_set(("training",), "none"), "JSON object"),
    (_set(("single_label",), "yes"), "single_label: expected true or false"),
    (_set(("features", "read_chars"), -1), r"read_chars: expected a value in \[0, "),
], ids=["threshold-0", "threshold-nan", "threshold-1.5", "threshold-str", "dup-label",
        "no-labels", "char_hi", "title_weight-str", "weight-inf", "unknown-setting",
        "groups-count", "hash", "training", "single_label", "read_chars"])
def test_meta_fields_are_validated(tiny_model: Path, tmp_path: Path,
                                   change: Callable[[dict[str, Any]], None],
                                   needle: str) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    meta = read_meta(root)
    change(meta)
    write_meta(root, meta)
    with pytest.raises(ModelError, match=needle):
        load_model(root)


def test_term_group_out_of_range_and_deep_meta(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    meta = read_meta(root)
    meta["lexicon_groups"][0] = [10**6]
    write_meta(root, meta)
    with pytest.raises(ModelError, match="term numbers below"):
        load_model(root)
    (root / "meta.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(ModelError, match="nested too deeply"):
        load_model(root)


def _replace_member(npz: Path, name: str, data: bytes | Callable[[Any], None]) -> None:
    """Rewrite one member of an .npz (bytes, or a writer streaming into the member)."""
    with zipfile.ZipFile(npz) as z:
        members = {n: z.read(n) for n in z.namelist() if n != f"{name}.npy"}
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as z:
        for n, raw in members.items():
            z.writestr(n, raw)
        if isinstance(data, bytes):
            z.writestr(f"{name}.npy", data)
        else:
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                data(f)


def _header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def test_huge_declared_shape_is_refused_before_allocating(tiny_model: Path,
                                                          tmp_path: Path) -> None:
    root = resave_v1(tiny_model, tmp_path / "m")  # format 2: tests/test_model_format.py
    _replace_member(root / "arrays.npz", "coef", _header((10**12,)) + b"\0" * 64)
    rehash(root, "arrays.npz")  # meta.json is not hashed: an attacker can do this too
    with pytest.raises(ModelError, match=r"declares shape \(1000000000000,\)"):
        load_model(root)


def test_member_inflating_past_its_shape_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    root = resave_v1(tiny_model, tmp_path / "m")
    model = load_model(tiny_model)
    rows, cols = model.coef.shape
    wide = (rows, cols * 40)  # 40 times the model's width: a zip bomb of zeros

    def stream(f: Any) -> None:
        f.write(_header(wide))
        chunk = b"\0" * (1 << 20)
        left = rows * cols * 40 * 4
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)

    _replace_member(root / "arrays.npz", "coef", stream)
    rehash(root, "arrays.npz")
    assert (root / "arrays.npz").stat().st_size < rows * cols * 40 * 4 / 50
    with pytest.raises(ModelError, match=rf"coef'.*expected shape \({rows}, {cols}\)"):
        load_model(root)


def test_nan_coefficients_and_wrong_dtype_are_refused(tiny_model: Path,
                                                      tmp_path: Path) -> None:
    root = resave_v1(tiny_model, tmp_path / "m")
    coef = load_model(tiny_model).coef.copy()
    coef[0, 0] = np.nan
    buf = io.BytesIO()
    np.save(buf, coef)
    _replace_member(root / "arrays.npz", "coef", buf.getvalue())
    rehash(root, "arrays.npz")
    with pytest.raises(ModelError, match="finite numbers only"):
        load_model(root)
    buf = io.BytesIO()
    np.save(buf, np.zeros(coef.shape, dtype="<U1"))
    _replace_member(root / "arrays.npz", "coef", buf.getvalue())
    rehash(root, "arrays.npz")
    with pytest.raises(ModelError, match="dtype kind"):
        load_model(root)


def test_stored_examples_are_checked(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    ex = load_examples(root)
    assert ex.counts.shape[0] == len(ex.ids)
    buf = io.BytesIO()
    np.save(buf, np.asarray([len(ex.ids) + 5, ex.counts.shape[1]], dtype=np.int64))
    _replace_member(root / "examples.npz", "shape", buf.getvalue())
    rehash(root, "examples.npz")
    with pytest.raises(ModelError, match=r"examples\.npz: shape"):
        load_examples(root)
    root = copy_model(tiny_model, tmp_path / "folds")
    assert ex.folds is not None
    buf = io.BytesIO()
    np.save(buf, np.where(np.arange(len(ex.ids)) == 3, -1, ex.folds).astype(np.int32))
    _replace_member(root / "examples.npz", "fold", buf.getvalue())
    rehash(root, "examples.npz")
    with pytest.raises(ModelError, match=r"examples\.npz: fold.*>= 0"):
        load_examples(root)


def test_symlink_out_of_the_model_folder_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    outside = tmp_path / "elsewhere.txt"
    shutil.move(root / "words.txt", outside)
    (root / "words.txt").symlink_to(outside)
    with pytest.raises(ModelError, match="outside the model folder"):
        load_model(root)
    shutil.move(outside, root / "words.real.txt")
    (root / "words.txt").unlink()
    (root / "words.txt").symlink_to("words.real.txt")  # inside the folder: fine
    assert load_model(root).labels


# -- item 15: a dropped model is freed at once -----------------------------------------------------

def test_dropped_model_is_freed_without_gc(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    model.keyword_scorer()  # what /summarize and labelling build
    ref = weakref.ref(model)
    gc.disable()
    try:
        del model
        assert ref() is None, "a reference cycle keeps the model alive until a full GC"
    finally:
        gc.enable()


# -- item 20: the default model ships in the package ----------------------------------------------

def test_default_model_is_package_data() -> None:
    link = ROOT / "classifier" / "models"
    assert link.is_symlink() and (link / "default" / "meta.json").is_file()
    config = pytest.importorskip("tomllib").loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "default/*" in config["tool"]["setuptools"]["package-data"]["classifier.models"]


def test_installed_copy_is_found_from_any_folder(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site" / "classifier" / "models"
    site.mkdir(parents=True)
    (site / "default").symlink_to(ROOT / "models" / "default")
    monkeypatch.setattr(store, "models_dir", lambda: tmp_path / "no-checkout")
    monkeypatch.setattr(store, "installed_models_dir", lambda: site)
    monkeypatch.chdir(tmp_path)
    assert resolve_model_dir("default") == site / "default"


@pytest.mark.slow
def test_wheel_holds_the_default_model(tmp_path: Path) -> None:
    """Build a wheel (no network: the venv's setuptools) from a copy of the sources."""
    pytest.importorskip("setuptools", minversion="70.1")  # bdist_wheel built in
    src = tmp_path / "src"
    shutil.copytree(ROOT / "classifier", src / "classifier", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "models" / "default", src / "models" / "default")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("classifier-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    shipped = {f"classifier/models/default/{p.name}" for p in (ROOT / "models" / "default")
               .iterdir()}
    assert shipped <= names and "classifier/models/default/meta.json" in names
    assert wheel.stat().st_size < 15 * 1024 * 1024
    assert time.monotonic() - t0 < 120


# -- item 24: a theme with no name is shown by its id ---------------------------------------------

def test_table_shows_the_id_of_an_unnamed_theme() -> None:
    from rich.console import Console

    from classifier.cli.render import render_records

    record = {"source": "<text>", "id": "<text>#0", "article": 0, "title": "标题",
              "labels": ["desk_new"], "scores": {"desk_new": 0.9, "union_building": 0.1},
              "summary": "摘要", "keywords": [], "evidence": {"desk_new": [["技能", 0.5]]}}
    names = {"desk_new": {"zh": "", "en": ""},
             "union_building": {"zh": "工会组织建设与改革", "en": "Union"}}
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render_records([record], names, console=console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "主题: desk_new" in out and out.count("desk_new") >= 2


def test_table_names_the_point_a_runner_up_missed() -> None:
    from rich.console import Console

    from classifier.cli.render import render_records

    record = {"source": "<text>", "id": "<text>#0", "article": 0, "title": "标题",
              "labels": ["a"], "scores": {"a": 0.42, "b": 0.31, "c": 0.05},
              "summary": "摘要", "keywords": [], "evidence": {"a": [["技能", 0.5]],
                                                           "b": [["竞赛", 0.2]]}}
    names = {lab: {"zh": lab, "en": ""} for lab in "abc"}

    def table(**kw: object) -> list[str]:
        console = Console(file=io.StringIO(), width=120, color_system=None)
        render_records([record], names, console=console, **kw)  # type: ignore[arg-type]
        return console.file.getvalue().splitlines()  # type: ignore[attr-defined]

    # An uncalibrated model's own points; a theme without evidence just says it.
    rows = table(thresholds={"a": 0.4, "b": 0.35, "c": 0.5})
    assert any(" b " in r and "below 0.35: 竞赛" in r for r in rows)
    assert any(" c " in r and r.rstrip(" │").endswith("below 0.50") for r in rows)
    # A single-label model assigns the best theme: the others are below its score.
    rows = table(thresholds={"a": 0.4, "b": 0.35, "c": 0.5}, single_label=True)
    assert any(" b " in r and "below 0.42: 竞赛" in r for r in rows)


def test_models_list_survives_damaged_meta(tiny_model: Path, tmp_path: Path) -> None:
    from classifier.model.catalog import list_models

    copy_model(tiny_model, tmp_path / "good")
    for name, text in [("list", "[1, 2]"), ("deep", "[" * 100_000), ("odd", json.dumps(
            {"labels": 5, "training": [], "cv_metrics": "x"}))]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(text, "utf-8")
    found = {m["name"]: m for m in list_models(tmp_path)}
    assert found["good"]["labels"] and "error" not in found["good"]
    assert "not a JSON object" in found["list"]["error"]
    assert "nested too deeply" in found["deep"]["error"]
    assert found["odd"]["labels"] == [] and found["odd"]["metrics"] == {}


def test_save_into_dot_when_it_is_empty(tiny_model: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    out = save_model(load_model(tiny_model), ".")
    assert out == here and (here / "meta.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]  # no ..old-*, no .tmp-*
    monkeypatch.chdir(tmp_path)
    assert load_model(here).labels


@pytest.mark.parametrize("key", ["word", "char"])
def test_a_repeated_vocabulary_entry_is_refused(tiny_model: Path, tmp_path: Path,
                                                key: str) -> None:
    """Format 1: sorted vocabularies are checked by comparing neighbours; any other order is
    hashed. (Format 2: tests/test_model_format.py.)"""
    root = resave_v1(tiny_model, tmp_path / "m")
    vocab = json.loads((root / "vocab.json").read_text("utf-8"))
    assert vocab[key] == sorted(vocab[key])  # as saved: the fast check applies
    vocab[key] = vocab[key][::-1]  # unsorted but distinct: still loads
    (root / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
    rehash(root, "vocab.json")
    load_model(root)
    vocab[key][-1] = vocab[key][0]  # a repeat
    (root / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
    rehash(root, "vocab.json")
    with pytest.raises(ModelError, match=rf"vocab\.json: {key}.*distinct entries"):
        load_model(root)
