"""Model directories: round trip, hashes, tampering, pickles, format version, atomic writes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from classifier.errors import ModelError
from classifier.model.store import load_examples, load_model, resolve_model_dir, save_model

from .classifier_fixtures import copy_model, rehash, resave_v1

ITEMS = [("技能大赛", "参赛选手在决赛中技术比武。"), ("", "困难职工帮扶资金发放到位，金秋助学。")]


def test_save_load_identical_scores(tiny_model: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model)
    out = save_model(model, tmp_path / "again", load_examples(tiny_model))
    again = load_model(out)
    assert again.predict_many(ITEMS) == model.predict_many(ITEMS)
    assert again.labels == model.labels
    assert np.array_equal(again.coef, model.coef)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_save_replaces_existing_atomically(tiny_model: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model)
    target = copy_model(tiny_model, tmp_path / "m")  # an existing model, with a stray file in it
    (target / "stale.txt").write_text("old", "utf-8")
    model.meta["marker"] = "new"
    save_model(model, target)
    assert not (target / "stale.txt").exists()
    assert load_model(target).meta["marker"] == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.parametrize("version, name", [(2, "arrays.safetensors"), (2, "words.txt"),
                                           (2, "terms.txt"), (1, "arrays.npz"),
                                           (1, "vocab.json")])
def test_flipped_byte_is_refused(tiny_model: Path, tmp_path: Path, version: int,
                                 name: str) -> None:
    root = (copy_model(tiny_model, tmp_path / "m") if version == 2
            else resave_v1(tiny_model, tmp_path / "v1"))
    data = bytearray((root / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (root / name).write_bytes(bytes(data))
    with pytest.raises(ModelError, match=rf"{name.replace('.', '[.]')} does not match the "
                                         "sha256"):
        load_model(root)


def test_pickle_disguised_as_npz_is_refused(tiny_model: Path,
                                            tmp_path: Path) -> None:
    root = resave_v1(tiny_model, tmp_path / "v1")
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(root / "arrays.npz", "w") as z:
        z.writestr("coef.npy", buf.getvalue())
    rehash(root, "arrays.npz")  # even with a matching hash, the pickle is never loaded
    with pytest.raises(ModelError, match="pickled"):
        load_model(root)
    (root / "arrays.npz").write_bytes(b"\x80\x04K\x01.")  # a bare pickle stream
    rehash(root, "arrays.npz")
    with pytest.raises(ModelError):
        load_model(root)


def test_format_version_and_missing_files(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    meta = json.loads((root / "meta.json").read_text("utf-8"))
    meta["format_version"] = 99
    (root / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match="format version 99"):
        load_model(root)
    meta["format_version"] = 3  # from a newer package: say so
    (root / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match=r"format version 3 .*newer classifier package"):
        load_model(root)
    meta["format_version"] = 1  # the files of version 2 under version 1: refused by name
    (root / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match=r"files: expected the hashes of \['vocab\.json'"):
        load_model(root)
    meta["format_version"] = 2
    (root / "meta.json").write_text(json.dumps(meta), "utf-8")
    (root / "words.txt").unlink()
    with pytest.raises(ModelError, match=r"missing model file words\.txt"):
        load_model(root)
    with pytest.raises(ModelError, match=r"no meta\.json"):
        load_model(tmp_path)


def test_meta_contents(tiny_model: Path) -> None:
    meta = json.loads((tiny_model / "meta.json").read_text("utf-8"))
    for key in ("format_version", "package_version", "labels", "thresholds", "features",
                "training", "cv_metrics", "created_at", "files"):
        assert key in meta
    assert meta["labels"][0].keys() == {"id", "zh", "en"}
    assert meta["format_version"] == 2
    assert set(meta["files"]) == {"words.txt", "terms.txt", "arrays.safetensors",
                                  "examples.npz", "examples.json"}
    assert meta["training"]["examples_per_label"]["union_building"] == 6


def test_resolve_names() -> None:
    assert resolve_model_dir("default").name == "default"
    with pytest.raises(ModelError, match="not found"):
        resolve_model_dir("no-such-model")
    with pytest.raises(ModelError, match="not found"):
        load_model("../etc")
