"""Model directories: meta.json + vocab.json + .npz arrays; hashes; atomic writes.

Layout of a model directory (format version 1)::

    meta.json      format/package version, labels + names, thresholds, feature settings,
                   training summary, CV metrics, created_at, sha256 of every other file
    vocab.json     word and char n-gram vocabularies, taxonomy terms used as evidence
    arrays.npz     idf, coefficients, intercepts, combiner, thresholds
    examples.npz   the training examples in feature form (term counts, term hits) ...
    examples.json  ... with their ids and labels, for ``train --base`` retraining

Arrays are read with ``allow_pickle=False`` and every file's hash is checked before use, so a
model from an untrusted source cannot run code and a tampered one is refused (ModelError).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifier.errors import ModelError
from classifier.features.space import FeatureSettings, FeatureSpace
from classifier.model.theme_model import ThemeModel

__all__ = [
    "FORMAT_VERSION",
    "StoredExamples",
    "load_examples",
    "load_model",
    "models_dir",
    "resolve_model_dir",
    "save_model",
]

FORMAT_VERSION = 1
_FILES = ("vocab.json", "arrays.npz", "examples.npz", "examples.json")


@dataclass
class StoredExamples:
    """Training examples in feature form: raw counts over the model's vocabulary."""

    ids: list[str]
    labels: list[list[str]]
    counts: sp.csr_matrix  # (n, n_words + n_chars) raw term counts of the composed document
    body_hits: np.ndarray  # (n, n_terms) occurrences of each evidence term
    title_hits: np.ndarray  # (n, n_terms) occurrences in the title
    word_vocab: list[str]
    char_vocab: list[str]
    terms: list[str]


def models_dir() -> Path:
    """The repository's models/ directory (beside the package, for editable installs)."""
    return Path(__file__).resolve().parents[2] / "models"


def resolve_model_dir(path_or_name: str | Path = "default") -> Path:
    """A model directory from a path, or from a name under ``models/``.

    Names are looked up in the repository's models/ (editable installs) and then in
    ./models of the working directory (a regular install run from a checkout).
    """
    p = Path(path_or_name)
    if p.is_dir():
        return p
    name = str(path_or_name)
    if "/" not in name and "\\" not in name and name not in ("", ".", ".."):
        for base in (models_dir(), Path.cwd() / "models"):
            if (base / name).is_dir():
                return base / name
    raise ModelError(f"model {str(path_or_name)!r} not found: give a model directory or a "
                     f"name under {models_dir()} or {Path.cwd() / 'models'}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_meta(root: Path) -> dict[str, Any]:
    try:
        meta = json.loads((root / "meta.json").read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{root}: no meta.json, not a model directory") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{root}/meta.json is unreadable or not JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise ModelError(f"{root}/meta.json: expected a JSON object")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(f"{root}: model format version {version!r} is not supported (this "
                         f"package reads version {FORMAT_VERSION}); retrain the model")
    files = meta.get("files")
    if not isinstance(files, dict) or set(files) != set(_FILES):
        raise ModelError(f"{root}/meta.json: 'files' must list the hashes of {list(_FILES)}")
    for name, digest in files.items():
        path = root / name
        if not path.is_file():
            raise ModelError(f"{root}: missing model file {name}")
        if _sha256(path) != digest:
            raise ModelError(f"{root}/{name} does not match the sha256 in meta.json: the model "
                             "was modified or damaged; retrain it or copy it again")
    return meta


def _npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        # allow_pickle=False raises ValueError on object arrays: refuse, never unpickle.
        raise ModelError(f"{path}: not a valid numpy archive without pickled objects ({exc})"
                         ) from exc


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable JSON ({exc})") from exc


def load_model(path_or_name: str | Path = "default") -> ThemeModel:
    """Load and verify a model directory (or a name under models/). Raises ModelError."""
    root = resolve_model_dir(path_or_name)
    meta = _read_meta(root)
    vocab = _json(root / "vocab.json")
    arr = _npz(root / "arrays.npz")
    try:
        settings = FeatureSettings.from_dict(meta["features"])
        labels = [lab["id"] for lab in meta["labels"]]
        names = {lab["id"]: {"zh": lab.get("zh", ""), "en": lab.get("en", "")}
                 for lab in meta["labels"]}
        space = FeatureSpace(settings, vocab["word"], vocab["char"], arr["word_idf"],
                             arr["char_idf"])
        model = ThemeModel(
            labels=labels, names=names, features=space, coef=arr["coef"],
            intercept=arr["intercept"], combiner=arr["combiner"],
            thresholds=np.asarray([meta["thresholds"][lab] for lab in labels]),
            terms=vocab["terms"], term_groups=meta["lexicon_groups"], meta=meta,
            prior_mask=arr.get("prior_mask"),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ModelError(f"{root}: model files are incomplete or inconsistent ({exc!r})") from exc
    if model.coef.shape != (len(labels), space.n_features):
        raise ModelError(f"{root}: coefficient shape {model.coef.shape} does not match "
                         f"{len(labels)} labels x {space.n_features} features")
    return model


def load_examples(path_or_name: str | Path) -> StoredExamples:
    """The training examples stored with a model (for ``train --base``)."""
    root = resolve_model_dir(path_or_name)
    _read_meta(root)
    vocab = _json(root / "vocab.json")
    ex = _json(root / "examples.json")
    z = _npz(root / "examples.npz")
    try:
        counts = sp.csr_matrix((z["data"].astype(np.float64), z["indices"], z["indptr"]),
                               shape=tuple(z["shape"]))
        return StoredExamples(ids=list(ex["ids"]), labels=[list(x) for x in ex["labels"]],
                              counts=counts, body_hits=z["body_hits"],
                              title_hits=z["title_hits"], word_vocab=vocab["word"],
                              char_vocab=vocab["char"], terms=vocab["terms"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{root}: stored training examples are inconsistent ({exc!r})") from exc


def save_model(model: ThemeModel, out_dir: str | Path,
               examples: StoredExamples | None = None) -> Path:
    """Write a model directory atomically (temp dir beside the target, then rename)."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a model is meant to be shared
        _write(model, tmp, examples)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / "model")
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(model: ThemeModel, root: Path, examples: StoredExamples | None) -> None:
    space = model.features
    (root / "vocab.json").write_text(json.dumps(
        {"word": space.word_vocab, "char": space.char_vocab, "terms": model.terms},
        ensure_ascii=False), "utf-8")
    np.savez_compressed(root / "arrays.npz", word_idf=space.word_idf, char_idf=space.char_idf,
                        coef=model.coef, intercept=model.intercept, combiner=model.combiner,
                        prior_mask=model.prior_mask.astype(np.uint8))
    if examples is None:
        examples = StoredExamples([], [], sp.csr_matrix((0, space.n_features)),
                                  np.zeros((0, len(model.terms)), np.float32),
                                  np.zeros((0, len(model.terms)), np.float32),
                                  space.word_vocab, space.char_vocab, model.terms)
    c = sp.csr_matrix(examples.counts)
    np.savez_compressed(root / "examples.npz", data=c.data.astype(np.uint16),
                        indices=c.indices.astype(np.int32), indptr=c.indptr.astype(np.int64),
                        shape=np.asarray(c.shape, dtype=np.int64),
                        body_hits=examples.body_hits.astype(np.float32),
                        title_hits=examples.title_hits.astype(np.float32))
    (root / "examples.json").write_text(json.dumps(
        {"ids": examples.ids, "labels": examples.labels}, ensure_ascii=False), "utf-8")
    meta = dict(model.meta)
    meta.update({
        "format_version": FORMAT_VERSION,
        "labels": model.label_names(),
        "thresholds": {lab: float(t)
                       for lab, t in zip(model.labels, model.thresholds, strict=True)},
        "features": space.settings.to_dict(),
        "lexicon_groups": model.term_groups,
        "files": {name: _sha256(root / name) for name in _FILES},
    })
    (root / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
