"""Model directories: meta.json + vocabularies + arrays; hashes, validation, atomic writes.

Layout of a model directory, format version 2 (what ``save_model`` writes)::

    meta.json           format/package version, labels + names, thresholds, feature
                        settings, training summary, CV metrics, created_at, sha256 of
                        every other file
    words.txt           the word vocabulary in column order: UTF-8, every entry followed
                        by "\n"
    terms.txt           the taxonomy terms used as evidence, encoded the same way
    arrays.safetensors  the arrays prediction reads (see below)
    examples.npz        the training examples in feature form (term counts, term hits) ...
    examples.json       ... with their ids and labels, for ``train --base`` retraining

``arrays.safetensors`` is a safetensors file (https://github.com/huggingface/safetensors: a
little-endian uint64 header length, a JSON header naming each array's dtype, shape and byte
range, then the raw little-endian arrays), written and parsed by the ``safetensors`` package:
``word_idf``, ``char_idf`` (float64), ``coef_t`` (float32, features x labels: the layout the
scores multiply with, so a load makes no transposed copy), ``intercept``, ``combiner``,
optional ``theme_combiner`` (float64), ``prior_mask`` (uint8), and the char n-gram vocabulary
end to end as ``char_codepoints`` (uint32) with ``char_lengths`` (uint8, one per n-gram).
Format 2 exists for load time (issue 14): parsing the 1.7 MB JSON vocabulary, checking its
163,000 strings and transposing the coefficients cost ~60 ms of every one-page ``classify``.

Format version 1 (``vocab.json`` with the three vocabularies as JSON lists, ``arrays.npz``
with ``coef`` labels x features; examples as in version 2) is still read, and written by
``save_model(..., format_version=1)`` for a package older than format 2, which refuses a
version-2 model by its ``format_version`` before reading any other file.

Loading (issue 15, item 13) trusts nothing: every file must be a regular file inside the
folder (a symlink out of it is refused) and under a size bound; every file but meta.json is
hashed in meta.json (the examples' files are checked when they are read, not by a load for
prediction), and meta.json itself is validated field by field (``_META``). A format-2 file
is read once into memory and hashed there, so the bytes parsed are the bytes hashed; every
array's place in ``arrays.safetensors`` is checked by the safetensors library (byte ranges
contiguous, covering the file exactly, matching dtype and shape), then its dtype (a short
list of plain numeric types) and shape against each other and the vocabulary sizes
(``_ARRAYS``) before any array is made: nothing is allocated beyond the file's size. In
format 1 the shape and dtype of every array are read from its ``.npy`` header inside the zip
and checked before anything is decompressed, so a member declaring a huge shape is refused
without allocating it; arrays are read with ``allow_pickle=False``. Vocabularies must be
distinct: see ``_read_v2`` for how that is checked cheaply. Every failure is a
``ModelError`` naming the file and the field.

Saving (items 1, 2): ``check_output_dir`` refuses to write over anything but a model (and a
model only when asked to replace it); the model is written to ``.NAME.tmp-PID-*`` beside the
target and swapped in with one ``renameat2(RENAME_EXCHANGE)`` where the system has it, so the
name never goes missing; elsewhere two renames, undone on failure, and a model stranded by a
kill between them (``.NAME.old-PID-*``) is put back by the next load or save. Temp folders of
killed saves are removed by the next save into that folder.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import logging
import math
import operator
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.errors import ModelError, OptionError, OutputError
from classifier.features.charcount import PackedStrings
from classifier.features.space import FeatureSettings, FeatureSpace
from classifier.model.theme_model import ThemeModel

if TYPE_CHECKING:  # scipy is imported only where examples are read or written (issue 14)
    import scipy.sparse as sp

__all__ = [
    "FORMAT_VERSION",
    "StoredExamples",
    "check_output_dir",
    "installed_models_dir",
    "load_examples",
    "load_model",
    "models_dir",
    "resolve_model_dir",
    "save_model",
]

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # what save_model writes
_READABLE = (1, 2)
# The files meta.json hashes, by format version; and those a load for prediction reads.
_FILES = {1: ("vocab.json", "arrays.npz", "examples.npz", "examples.json"),
          2: ("words.txt", "terms.txt", "arrays.safetensors", "examples.npz", "examples.json")}
_PREDICTOR_FILES = {1: ("vocab.json", "arrays.npz"),
                    2: ("words.txt", "terms.txt", "arrays.safetensors")}
_EXAMPLE_FILES = ("examples.npz", "examples.json")
# Size bounds, far above any real model (the default one: meta 8 KB, vocabularies 1.7 MB,
# arrays 9.8 MB, examples 4.9 MB), checked with stat() before a file is read or hashed.
_MAX_FILE_BYTES = {"meta.json": 8 << 20, "vocab.json": 256 << 20, "examples.json": 256 << 20,
                   "words.txt": 256 << 20, "terms.txt": 64 << 20,
                   "arrays.npz": 1 << 30, "arrays.safetensors": 1 << 30,
                   "examples.npz": 1 << 30}
_MAX_ARRAY_BYTES = 1 << 30  # one decompressed array
_MAX_NNZ = 64 << 20  # stored example counts: non-zero entries
_MAX_LABELS = 10_000


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
    # Issue 11: each example's training weight (a desk's own examples count more than the
    # base examples beside them) and which of the model's labels it was judged for (a theme
    # new to a --base model was never judged on the base examples). None: weight 1, judged
    # for every label, as in models saved before these arrays existed.
    weights: np.ndarray | None = None  # (n,)
    judged: np.ndarray | None = None  # (n, n_labels) bool, columns in the model's label order
    model_labels: list[str] | None = None  # the labels of the model that stored them
    # How the texts were counted (title weight, n-gram lengths, how much text was read): the
    # texts are not stored, so a retrain cannot count them again any other way.
    features: FeatureSettings | None = None
    # The cross-validation fold each example was in (None: trained without cross-validation,
    # or saved before folds were stored). A ``--base`` retrain keeps them, so that adding a
    # few corrections does not reshuffle the folds every theme's threshold is tuned on.
    folds: np.ndarray | None = None  # (n,) int


# -- finding a model ---------------------------------------------------------------------------

def models_dir() -> Path:
    """The repository's models/ directory (beside the package, for editable installs)."""
    return Path(__file__).resolve().parents[2] / "models"


def installed_models_dir() -> Path:
    """The models shipped inside the installed package (``classifier/models``, package data
    of a regular ``pip install``; see pyproject.toml)."""
    return Path(__file__).resolve().parents[1] / "models"


def resolve_model_dir(path_or_name: str | Path = "default") -> Path:
    """A model directory from a path, or from a name under ``models/``.

    Names are looked up in the repository's models/ (editable installs), then in ./models of
    the working directory, then among the models shipped in the installed package.
    """
    p = Path(path_or_name)
    if not p.exists():
        _recover(p)  # a save killed between its two renames left the old model aside
    if p.is_dir():
        return p
    name = str(path_or_name)
    bases = (models_dir(), Path.cwd() / "models", installed_models_dir())
    if "/" not in name and "\\" not in name and name not in ("", ".", ".."):
        for base in bases:
            if (base / name / "meta.json").is_file():
                return base / name
    raise ModelError(f"model {str(path_or_name)!r} not found: give a model directory or a "
                     f"name under {models_dir()} or {Path.cwd() / 'models'}")


# -- reading files, bounded --------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _member(root: Path, name: str) -> Path:
    """``root/name`` if it is a regular file inside ``root`` within its size bound."""
    path = root / name
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise ModelError(f"{path} is a symlink to {target}, outside the model folder: "
                             "refused; copy the file into the folder")
    try:
        st = path.stat()
    except FileNotFoundError:
        if name == "meta.json":
            raise ModelError(f"{root}: no meta.json, not a model directory") from None
        raise ModelError(f"{root}: missing model file {name}") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise ModelError(f"{path} is not a regular file")
    limit = _MAX_FILE_BYTES.get(name, 1 << 30)
    if st.st_size > limit:
        raise ModelError(f"{path} is {st.st_size:,} bytes, over the {limit:,}-byte bound of a "
                         "model file: refused")
    return path


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except RecursionError:
        raise ModelError(f"{path}: unreadable JSON (nested too deeply)") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable JSON ({exc})") from exc


def _npy_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
    """Shape and dtype of every array of an .npz, read from the .npy headers in the zip
    (nothing decompressed past a header); refuses object arrays and lying sizes."""
    from numpy.lib import format as npy

    out: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.filename.endswith(".npy") or info.filename[:-4] in out:
                    raise ModelError(f"{path}: unexpected or repeated member {info.filename!r}")
                with z.open(info) as f:
                    version = npy.read_magic(f)
                    read = (npy.read_array_header_1_0 if version == (1, 0)
                            else npy.read_array_header_2_0)
                    shape, _, dtype = read(f)
                name = info.filename[:-4]
                if dtype.hasobject:
                    raise ModelError(f"{path}: array {name!r} holds pickled objects: refused "
                                     "(not a valid numpy archive without pickled objects)")
                nbytes = math.prod(shape) * dtype.itemsize
                if nbytes > _MAX_ARRAY_BYTES or not nbytes <= info.file_size <= nbytes + 65_536:
                    raise ModelError(f"{path}: array {name!r} declares shape {shape} "
                                     f"({nbytes:,} bytes) in a {info.file_size:,}-byte member: "
                                     "refused")
                out[name] = (tuple(int(d) for d in shape), dtype)
    except ModelError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, NotImplementedError,
            RuntimeError) as exc:
        raise ModelError(f"{path}: not a valid numpy archive without pickled objects ({exc})"
                         ) from exc
    return out


def _npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        # allow_pickle=False raises ValueError on object arrays: refuse, never unpickle.
        raise ModelError(f"{path}: not a valid numpy archive without pickled objects ({exc})"
                         ) from exc


# -- validating meta.json ----------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _need(ok: bool, where: str, what: str, value: Any) -> None:
    if not ok:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ModelError(f"{where}: {what}, got {shown}; the model is damaged: retrain it or "
                         "copy it again")


def _check_format(v: Any, where: str) -> None:
    if not _is_int(v) or v not in _READABLE:
        newer = _is_int(v) and v > FORMAT_VERSION
        raise ModelError(f"{where}: model format version {v!r} is not supported (this package "
                         f"reads versions {', '.join(map(str, _READABLE))}); "
                         + ("a newer classifier package wrote it: upgrade the package, or "
                            if newer else "") + "retrain the model")


def _check_str(v: Any, where: str) -> None:
    _need(isinstance(v, str), where, "expected a string", v)


def _check_bool(v: Any, where: str) -> None:
    _need(isinstance(v, bool), where, "expected true or false", v)


def _check_dict(v: Any, where: str) -> None:
    _need(isinstance(v, dict), where, "expected a JSON object", v)


def _check_labels(v: Any, where: str) -> None:
    _need(isinstance(v, list) and 0 < len(v) <= _MAX_LABELS, where,
          f"expected a list of 1 to {_MAX_LABELS} labels", v)
    seen: set[str] = set()
    for i, lab in enumerate(v):
        at = f"{where}[{i}]"
        _need(isinstance(lab, dict) and isinstance(lab.get("id"), str) and lab["id"] != "",
              at, 'expected {"id": non-empty string, "zh": string, "en": string}', lab)
        for key in ("zh", "en"):
            _need(isinstance(lab.get(key, ""), str), f"{at}.{key}", "expected a string",
                  lab.get(key))
        _need(lab["id"] not in seen, at, "duplicate label id", lab["id"])
        seen.add(lab["id"])


def _check_features(v: Any, where: str) -> None:
    _need(isinstance(v, dict), where, "expected a JSON object", v)
    known = {f.name: f for f in fields(FeatureSettings)}
    defaults = FeatureSettings()
    for key, value in v.items():
        at = f"{where}.{key}"
        _need(key in known, at, f"unknown feature setting (known: {', '.join(known)})", key)
        default = getattr(defaults, key)
        if isinstance(default, bool):
            _check_bool(value, at)
            continue
        if isinstance(default, int):
            _need(_is_int(value), at, "expected an integer", value)
        elif isinstance(default, float):
            _need(_is_number(value), at, "expected a finite number", value)
        elif isinstance(default, str):
            _check_str(value, at)
        bounds = _FEATURE_RANGES.get(key)
        if bounds is not None:
            lo, hi = bounds
            _need(lo <= value <= hi, at, f"expected a value in [{lo}, {hi}]", value)
    lo, hi = v.get("char_lo", defaults.char_lo), v.get("char_hi", defaults.char_hi)
    _need(lo <= hi, f"{where}.char_hi", f"expected at least char_lo ({lo})", hi)


# Sane ranges of the known feature settings; a setting added to FeatureSettings later is
# checked for its type (that of its default) until it gets a range here.
_FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "title_weight": (0, 50),
    "char_lo": (1, 8),
    "char_hi": (1, 8),
    "min_df": (1, 1_000_000),
    "word_weight": (0.0, 1000.0),
    "char_weight": (0.0, 1000.0),
    "read_chars": (0, 100_000_000),
}


def _check_files(v: Any, where: str) -> None:
    # Which files: checked in ``_check_meta``, which knows the format version.
    _need(isinstance(v, dict), where, "expected a JSON object of file hashes", v)
    for name, digest in v.items():
        _need(isinstance(digest, str) and len(digest) == 64
              and all(c in "0123456789abcdef" for c in digest), f"{where}.{name}",
              "expected a sha256 hex digest", digest)


def _check_groups(v: Any, where: str) -> None:
    _need(isinstance(v, list) and all(isinstance(g, list) and all(_is_int(i) and i >= 0
                                                                  for i in g) for g in v),
          where, "expected a list of lists of term numbers", v)


# meta.json: field -> (required, check). Cross-field checks (thresholds per label, groups per
# label and in range of the terms) are in ``_check_meta``. Fields not listed here (training
# summary details, new fields of later versions) are kept as they are.
_META: dict[str, tuple[bool, Callable[[Any, str], None]]] = {
    "format_version": (True, _check_format),
    "files": (True, _check_files),
    "labels": (True, _check_labels),
    "thresholds": (True, _check_dict),
    "features": (True, _check_features),
    "lexicon_groups": (True, _check_groups),
    "package_version": (False, _check_str),
    "created_at": (False, _check_str),
    "training": (False, _check_dict),
    "cv_metrics": (False, _check_dict),
    "single_label": (False, _check_bool),
}


def _check_meta(meta: Any, where: str) -> None:
    _need(isinstance(meta, dict), where, "expected a JSON object", type(meta).__name__)
    if "format_version" in meta:
        _check_format(meta["format_version"], where)
    for key, (required, check) in _META.items():
        if key not in meta:
            if required:
                raise ModelError(f"{where}: field {key!r} is missing; the model is damaged: "
                                 "retrain it or copy it again")
            continue
        check(meta[key], f"{where}: {key}")
    files = _FILES[meta["format_version"]]
    _need(set(meta["files"]) == set(files), f"{where}: files",
          f"expected the hashes of {list(files)}", sorted(meta["files"]))
    ids = [lab["id"] for lab in meta["labels"]]
    thresholds = meta["thresholds"]
    _need(set(thresholds) == set(ids), f"{where}: thresholds",
          "expected one threshold per label id", sorted(thresholds))
    for lab in ids:
        t = thresholds[lab]
        _need(_is_number(t) and 0.0 < t < 1.0, f"{where}: thresholds.{lab}",
              "expected a finite number between 0 and 1 (exclusive)", t)
    _need(len(meta["lexicon_groups"]) == len(ids), f"{where}: lexicon_groups",
          f"expected one group per label ({len(ids)})", len(meta["lexicon_groups"]))


def _read_meta(root: Path, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """meta.json, validated, after checking the other files (``names``; default all) against
    their hashes."""
    meta = _json(_member(root, "meta.json"))
    _check_meta(meta, f"{root}/meta.json")
    for name, digest in meta["files"].items():
        if names is not None and name not in names:
            continue
        path = _member(root, name)
        if _sha256(path) != digest:
            _mismatch(root, name)
    return dict(meta)


def _mismatch(root: Path, name: str) -> None:
    raise ModelError(f"{root}/{name} does not match the sha256 in meta.json: the model "
                     "was modified or damaged; retrain it or copy it again")


def _check_vocab(vocab: Any, meta: dict[str, Any], where: str) -> dict[str, int]:
    """The vocabulary's sizes, after checking its lists and the term groups against them."""
    _need(isinstance(vocab, dict), where, "expected a JSON object", type(vocab).__name__)
    for key in ("word", "char", "terms"):
        items = vocab.get(key)
        # ``set(map(type, ...))`` runs in C: a generator of isinstance calls over 120,000
        # entries cost ~0.05 s of every start (issue 14).
        _need(isinstance(items, list) and set(map(type, items)) <= {str},
              f"{where}: {key}", "expected a list of strings", items)
        # A saved vocabulary is normally sorted (scikit-learn's order), and a strictly rising
        # list is distinct: comparing neighbours costs half of hashing every entry.
        if not all(map(operator.lt, items, items[1:])):
            repeats = len(items) - len(set(items))  # hashed only when not sorted
            _need(repeats == 0, f"{where}: {key}", "expected distinct entries", repeats)
    n_terms = len(vocab["terms"])
    for j, group in enumerate(meta["lexicon_groups"]):
        _need(all(i < n_terms for i in group), f"{where}: lexicon_groups[{j}]",
              f"expected term numbers below {n_terms}", group)
    return {"labels": len(meta["labels"]), "words": len(vocab["word"]),
            "chars": len(vocab["char"]), "terms": n_terms,
            "features": len(vocab["word"]) + len(vocab["char"])}


# -- validating arrays -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    """An array's expected dimensions (names of sizes, or numbers) and dtype kinds."""

    dims: tuple[str | int, ...]
    kinds: str  # numpy dtype kinds allowed: f float, i/u integer, b bool
    required: bool = True
    finite: bool = False


# The prediction arrays both formats store alike; format 1 adds ``coef`` (labels x
# features), format 2 ``coef_t`` (features x labels) and the packed char n-gram vocabulary.
_SCORING_ARRAYS: dict[str, _Spec] = {
    "word_idf": _Spec(("words",), "f", finite=True),
    "char_idf": _Spec(("chars",), "f", finite=True),
    "intercept": _Spec(("labels",), "f", finite=True),
    "combiner": _Spec(("combiner",), "f", finite=True),
    "prior_mask": _Spec(("labels",), "bui", required=False),
    # One combiner row per theme (issue 11), same layout as ``combiner``.
    "theme_combiner": _Spec(("labels", "combiner"), "f", required=False, finite=True),
}
# What every array file must hold. A new array is declared here with its dimensions; an
# array not declared is still bounded in size and refused if it holds objects.
_ARRAYS: dict[str, dict[str, _Spec]] = {
    "arrays.npz": {
        **_SCORING_ARRAYS,
        "coef": _Spec(("labels", "features"), "f", finite=True),
    },
    "arrays.safetensors": {
        **_SCORING_ARRAYS,
        "coef_t": _Spec(("features", "labels"), "f", finite=True),
        "char_codepoints": _Spec(("codepoints",), "u"),
        "char_lengths": _Spec(("chars",), "u"),
    },
    "examples.npz": {
        "data": _Spec(("nnz",), "ui"),
        "indices": _Spec(("nnz",), "iu"),
        "indptr": _Spec(("rows+1",), "iu"),
        "shape": _Spec((2,), "iu"),
        "body_hits": _Spec(("rows", "terms"), "f", finite=True),
        "title_hits": _Spec(("rows", "terms"), "f", finite=True),
        "weight": _Spec(("rows",), "f", required=False, finite=True),
        "judged": _Spec(("rows", "labels"), "bui", required=False),
        "fold": _Spec(("rows",), "iu", required=False),
    },
}
_COMBINER_SIZES = (5, 9)  # [a, c0, c1, c2, b] (+ [d0, d1, d2, e] with a term prior)
_Headers = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]


def _check_headers(path: Path, sizes: dict[str, int]) -> None:
    """Shapes and dtypes of an .npz's arrays against the sizes, before loading any."""
    _check_specs(path, _npy_headers(path), sizes)


def _check_specs(path: Path, headers: _Headers, sizes: dict[str, int]) -> None:
    """Shapes and dtypes of an array file's arrays (``headers``) against the sizes."""
    specs = _ARRAYS[path.name]
    sizes = {"combiner": _COMBINER_SIZES[0], "nnz": 0, **sizes}
    if "data" in headers:  # the free dimension of the stored counts, bounded
        sizes["nnz"] = headers["data"][0][0] if headers["data"][0] else -1
        _need(0 <= sizes["nnz"] <= _MAX_NNZ, f"{path}: data", f"expected at most {_MAX_NNZ:,} "
              "stored counts", headers["data"][0])
    if "combiner" in headers and len(headers["combiner"][0]) == 1:
        size = headers["combiner"][0][0]
        sizes["combiner"] = size if size in _COMBINER_SIZES else _COMBINER_SIZES[0]
    for name, spec in specs.items():
        if name not in headers:
            if spec.required:
                raise ModelError(f"{path}: array {name!r} is missing; the model is damaged: "
                                 "retrain it or copy it again")
            continue
        shape, dtype = headers[name]
        want = tuple(d if isinstance(d, int) else
                     (sizes["rows"] + 1 if d == "rows+1" else sizes[d]) for d in spec.dims)
        _need(shape == want, f"{path}: array {name!r}", f"expected shape {want}", shape)
        _need(dtype.kind in spec.kinds, f"{path}: array {name!r}",
              f"expected dtype kind {spec.kinds!r}", str(dtype))


def _check_values(arrays: dict[str, np.ndarray], path: Path) -> None:
    for name, spec in _ARRAYS[path.name].items():
        if spec.finite and name in arrays:
            _need(bool(np.isfinite(arrays[name]).all()), f"{path}: array {name!r}",
                  "expected finite numbers only (no NaN or infinity)", "non-finite values")


def _check_examples_json(ex: Any, where: str) -> int:
    _need(isinstance(ex, dict), where, "expected a JSON object", type(ex).__name__)
    ids, labels = ex.get("ids"), ex.get("labels")
    _need(isinstance(ids, list) and all(isinstance(i, str) for i in ids), f"{where}: ids",
          "expected a list of strings", ids)
    _need(isinstance(labels, list) and len(labels) == len(ids)
          and all(isinstance(x, list) and all(isinstance(s, str) for s in x) for x in labels),
          f"{where}: labels", "expected one list of label strings per id", labels)
    return len(ids)


# -- format 2: text vocabularies and a safetensors file --------------------------------------

_ARRAYS_FILE = "arrays.safetensors"
# The safetensors header may be up to 100 MB for the library; ours is ~1 KB (a dozen arrays).
# Bounded first, so a header of millions of entries is never parsed into Python objects.
_MAX_HEADER_BYTES = 1 << 20
# The safetensors dtypes an arrays file may hold, as numpy reads them (the format stores
# little-endian): plain numbers only. The library knows more (float16, bfloat16, 8-bit and
# smaller floats, complex), which nothing here writes and numpy partly cannot represent.
_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "U8": "|u1", "U16": "<u2", "U32": "<u4",
                       "U64": "<u8", "I8": "|i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
                       "BOOL": "|b1"}


def _read_verified(root: Path, name: str, meta: dict[str, Any]) -> bytes:
    """The bytes of a model file, checked against the file's sha256 in meta.json. Read once:
    the bytes parsed are the bytes hashed (no window for the file to change between a check
    and a read)."""
    data = _read_bytes(root, name)
    if hashlib.sha256(data).hexdigest() != meta["files"][name]:
        _mismatch(root, name)
    return data


def _read_bytes(root: Path, name: str) -> bytes:
    """The bytes of a model file within its size bound."""
    path = _member(root, name)
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            limit = _MAX_FILE_BYTES.get(name, 1 << 30)
            if size > limit:  # grew since ``_member`` looked
                raise ModelError(f"{path} is {size:,} bytes, over the {limit:,}-byte bound of "
                                 "a model file: refused")
            data = f.read(size)  # never more than the size checked
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) != size:
        _mismatch(root, name)  # cut short while being read
    return data


def _lines(data: bytes, where: str) -> list[str]:
    """The entries of a vocabulary text file: UTF-8, every entry followed by a line break
    (``_encode_lines``)."""
    try:
        text = str(data, "utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ModelError(f"{where}: not UTF-8 text ({exc}); the model is damaged: retrain it "
                         "or copy it again") from None
    # An editor's traces (a byte-order mark, CR LF line ends) would change entries silently.
    _need(not text.startswith("\ufeff") and "\r" not in text, where,
          "expected plain LF-terminated lines (no byte-order mark, no carriage return)",
          text[:40])
    _need(text == "" or text.endswith("\n"), where,
          "expected every entry to end with a line break (the file is cut short)", text[-40:])
    entries = text.split("\n")
    entries.pop()  # after the last line break
    return entries


def _safetensors(data: bytes, where: str) -> dict[str, tuple[tuple[int, ...], np.dtype[Any],
                                                              bytearray]]:
    """(shape, dtype, bytes) of every array of a safetensors file, parsed by the library.

    ``safetensors.deserialize`` checks the container: the header's JSON, known dtypes, byte
    ranges contiguous from the header to the end of the file, each range as long as its
    dtype and shape make. Arrays are made by the caller, after ``_check_specs``: this is
    ``safetensors.numpy.load`` with the dtype checked before numpy reads it (its own table
    fails with a KeyError on bfloat16 or 8-bit floats, and reads in native byte order).
    """
    import safetensors  # ~6 ms: only when a format-2 model is read or written

    # The header length is the first 8 bytes (little-endian); a file shorter than that is
    # left to the library, which refuses it.
    length = int.from_bytes(data[:8], "little")
    _need(length <= _MAX_HEADER_BYTES, where,
          f"expected a safetensors header of at most {_MAX_HEADER_BYTES:,} bytes", length)
    try:
        entries = safetensors.deserialize(data)
    except safetensors.SafetensorError as exc:
        raise ModelError(f"{where}: not a valid safetensors file ({exc}); the model is "
                         "damaged: retrain it or copy it again") from None
    out: dict[str, tuple[tuple[int, ...], np.dtype[Any], bytearray]] = {}
    for name, entry in entries:
        kind = entry["dtype"]
        _need(kind in _SAFETENSORS_DTYPES, f"{where}: array {name!r}",
              f"expected a dtype among {', '.join(_SAFETENSORS_DTYPES)}", kind)
        out[name] = (tuple(entry["shape"]), np.dtype(_SAFETENSORS_DTYPES[kind]), entry["data"])
    return out


def _rising(packed: PackedStrings) -> bool:
    """Whether the entries rise strictly in code-point order (Python's order of strings),
    which makes them distinct; judged in array passes, no string made.

    Each entry reads as integer keys of three code points (21 bits each), padded with zeros;
    neighbours compare key by key. False also for entries equal once padded (``"a"`` and
    ``"a\\0"``) and for entries over 24 characters: the caller then checks exactly.
    """
    n = len(packed)
    if n < 2:
        return True
    lengths, cps = packed.lengths, packed.codepoints
    width = int(lengths.max())
    if not 0 < width <= 24:
        return False
    first = packed.starts[:-1]
    rising: np.ndarray | None = None
    for chunk in reversed(range(0, width, 3)):  # the last key decides ties of the ones before
        key = np.zeros(n, dtype=np.uint64)
        for k in range(chunk, min(chunk + 3, width)):
            cp = cps[np.minimum(first + k, cps.shape[0] - 1)].astype(np.uint64)
            cp[lengths <= k] = 0
            cp <<= np.uint64(21 * (chunk + 2 - k))
            key |= cp
        before, after = key[:-1], key[1:]
        rising = after > before if rising is None else (after > before) | (
            (after == before) & rising)
    return bool(rising is not None and rising.all())


@dataclass
class _Parts:
    """What a format-2 model's predictor files hold, checked."""

    words: list[str]
    word_index: dict[str, int]
    chars: PackedStrings
    terms: list[str]
    arrays: dict[str, np.ndarray]
    sizes: dict[str, int]


def _read_v2(root: Path, meta: dict[str, Any]) -> _Parts:
    """The vocabularies and arrays of a format-2 model, every file hashed and checked.

    Distinct vocabularies, cheaply: the saved ones are distinct (``_predictor_v2`` refuses
    repeats) and the hash shows each file is the one saved, but meta.json is not hashed, so
    a hand-edited vocabulary with a fresh hash must still be refused. Words: the
    word -> column dict prediction needs is built here, and it is shorter than the list
    exactly when a word repeats. Char n-grams (128,000 of them, no strings made): strictly
    rising, judged in one array pass (``_rising``); only a vocabulary in another order is
    hashed entry by entry. Terms: a few hundred, hashed.
    """
    where = f"{root}/{_ARRAYS_FILE}"
    # Hashed here, in line (~9 ms for 11 MB): a thread hashing beside the parsing gained
    # nothing measurable on a shared 2-core machine (neither beside the safetensors parse).
    parsed = _safetensors(_read_verified(root, _ARRAYS_FILE, meta), where)
    for name in ("word_idf", "char_lengths", "char_codepoints"):
        _need(name in parsed and len(parsed[name][0]) == 1, f"{where}: array {name!r}",
              "expected a 1-dimensional array", parsed[name][0] if name in parsed else None)
    sizes = {"labels": len(meta["labels"]), "words": parsed["word_idf"][0][0],
             "chars": parsed["char_lengths"][0][0],
             "codepoints": parsed["char_codepoints"][0][0]}
    sizes["features"] = sizes["words"] + sizes["chars"]
    _check_specs(root / _ARRAYS_FILE, {k: v[:2] for k, v in parsed.items()}, sizes)
    # Views of the bytes the library copied out of the file, each of exactly the size its
    # dtype and shape make (checked by the library).
    arrays: dict[str, np.ndarray] = {name: np.frombuffer(raw, dtype).reshape(shape)
                                     for name, (shape, dtype, raw) in parsed.items()}
    _check_values(arrays, root / _ARRAYS_FILE)
    cps, lengths = arrays["char_codepoints"], arrays["char_lengths"]
    _need(not cps.shape[0] or int(cps.max()) < 0x110000, f"{where}: array 'char_codepoints'",
          "expected Unicode code points (below 0x110000)", int(cps.max(initial=0)))
    _need(int(lengths.sum(dtype=np.int64)) == cps.shape[0], f"{where}: array 'char_lengths'",
          f"expected lengths adding up to the {cps.shape[0]:,} code points",
          int(lengths.sum(dtype=np.int64)))
    chars = PackedStrings(cps, lengths)
    if not _rising(chars):
        strings = chars.strings()
        if not all(map(operator.lt, strings, strings[1:])):
            repeats = len(strings) - len(set(strings))
            _need(repeats == 0, f"{where}: array 'char_codepoints'",
                  "expected distinct char n-grams", f"{repeats} repeated")
    chars.distinct = True

    words_at = f"{root}/words.txt"
    words = _lines(_read_verified(root, "words.txt", meta), words_at)
    _need(len(words) == sizes["words"], words_at,
          f"expected {sizes['words']:,} entries (the length of word_idf in "
          f"{_ARRAYS_FILE})",
          len(words))
    # zip with a range builds the dict in C: half the time of a comprehension.
    word_index = dict(zip(words, range(len(words)), strict=True))
    _need(len(word_index) == len(words), words_at, "expected distinct entries",
          f"{len(words) - len(word_index)} repeated")
    terms_at = f"{root}/terms.txt"
    terms = _lines(_read_verified(root, "terms.txt", meta), terms_at)
    _need(len(set(terms)) == len(terms), terms_at, "expected distinct entries",
          f"{len(terms) - len(set(terms))} repeated")
    sizes["terms"] = len(terms)
    for j, group in enumerate(meta["lexicon_groups"]):
        _need(all(i < len(terms) for i in group), f"{root}/meta.json: lexicon_groups[{j}]",
              f"expected term numbers below {len(terms)} (the entries of terms.txt)", group)
    return _Parts(words, word_index, chars, terms, arrays, sizes)


# -- loading -----------------------------------------------------------------------------------

def _validated_v1(root: Path, meta: dict[str, Any]) -> tuple[Any, dict[str, int]]:
    """(vocab, sizes) of a format-1 model directory whose predictor files passed their
    checks."""
    for name in _PREDICTOR_FILES[1]:
        if _sha256(_member(root, name)) != meta["files"][name]:
            _mismatch(root, name)
    vocab = _json(root / "vocab.json")
    sizes = _check_vocab(vocab, meta, f"{root}/vocab.json")
    _check_headers(root / "arrays.npz", sizes)
    return vocab, sizes


def load_model(path_or_name: str | Path = "default") -> ThemeModel:
    """Load and verify a model directory (or a name under models/). Raises ModelError."""
    root = resolve_model_dir(path_or_name)
    meta = _read_meta(root, ())
    word_index: dict[str, int] | None = None
    chars: list[str] | PackedStrings
    if meta["format_version"] == 1:
        vocab, _ = _validated_v1(root, meta)
        arr = _npz(root / "arrays.npz")
        _check_values(arr, root / "arrays.npz")
        words, chars, terms, coef = vocab["word"], vocab["char"], vocab["terms"], arr["coef"]
    else:
        parts = _read_v2(root, meta)
        arr = parts.arrays
        words, word_index, chars, terms = parts.words, parts.word_index, parts.chars, parts.terms
        # A transposed view: the model's ``coef`` is labels x features as ever, and the
        # contiguous features x labels array it multiplies with is the one read.
        coef = arr["coef_t"].T
    try:
        settings = FeatureSettings.from_dict(meta["features"])
        labels = [lab["id"] for lab in meta["labels"]]
        names = {lab["id"]: {"zh": lab.get("zh", ""), "en": lab.get("en", "")}
                 for lab in meta["labels"]}
        space = FeatureSpace(settings, words, chars, arr["word_idf"], arr["char_idf"],
                             word_index=word_index)
        model = ThemeModel(
            labels=labels, names=names, features=space, coef=coef,
            intercept=arr["intercept"], combiner=arr["combiner"],
            thresholds=np.asarray([meta["thresholds"][lab] for lab in labels]),
            terms=terms, term_groups=meta["lexicon_groups"], meta=meta,
            prior_mask=arr.get("prior_mask"), theme_combiner=arr.get("theme_combiner"),
        )
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ModelError(f"{root}: model files are incomplete or inconsistent ({exc!r})") from exc
    return model


def load_examples(path_or_name: str | Path) -> StoredExamples:
    """The training examples stored with a model (for ``train --base``)."""
    root = resolve_model_dir(path_or_name)
    meta = _read_meta(root, _EXAMPLE_FILES)
    if meta["format_version"] == 1:
        vocab, sizes = _validated_v1(root, meta)
        word_vocab, char_vocab, terms = vocab["word"], vocab["char"], vocab["terms"]
    else:
        parts = _read_v2(root, meta)
        word_vocab, char_vocab, terms = parts.words, parts.chars.strings(), parts.terms
        sizes = parts.sizes
    ex = _json(root / "examples.json")
    sizes["rows"] = _check_examples_json(ex, f"{root}/examples.json")
    _check_headers(root / "examples.npz", sizes)
    z = _npz(root / "examples.npz")
    _check_values(z, root / "examples.npz")
    indptr = z["indptr"]
    where = f"{root}/examples.npz"
    _need(tuple(int(d) for d in z["shape"]) == (sizes["rows"], sizes["features"]),
          f"{where}: shape", f"expected {(sizes['rows'], sizes['features'])}", z["shape"])
    _need(int(indptr[0]) == 0 and int(indptr[-1]) == z["data"].shape[0]
          and bool((np.diff(indptr) >= 0).all()), f"{where}: indptr",
          "expected offsets rising from 0 to the number of counts", "bad offsets")
    _need(not z["indices"].size or (int(z["indices"].min()) >= 0
                                    and int(z["indices"].max()) < sizes["features"]),
          f"{where}: indices", f"expected columns below {sizes['features']}", "out of range")
    _need("fold" not in z or not z["fold"].size or int(z["fold"].min()) >= 0,
          f"{where}: fold", "expected fold numbers >= 0", "negative")
    import scipy.sparse as sp  # only ``train --base`` and ``suggest`` read examples

    try:
        counts = sp.csr_matrix((z["data"].astype(np.float64), z["indices"], indptr),
                               shape=(sizes["rows"], sizes["features"]))
        return StoredExamples(ids=list(ex["ids"]), labels=[list(x) for x in ex["labels"]],
                              counts=counts, body_hits=z["body_hits"],
                              title_hits=z["title_hits"], word_vocab=word_vocab,
                              char_vocab=char_vocab, terms=terms,
                              weights=z["weight"].astype(np.float64) if "weight" in z else None,
                              judged=z["judged"].astype(bool) if "judged" in z else None,
                              folds=z["fold"].astype(np.int64) if "fold" in z else None,
                              model_labels=[lab["id"] for lab in meta["labels"]],
                              features=FeatureSettings.from_dict(meta["features"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{root}: stored training examples are inconsistent ({exc!r})") from exc


# -- saving ------------------------------------------------------------------------------------

def _is_model(path: Path) -> bool:
    return (path / "meta.json").is_file()


def check_output_dir(out_dir: str | Path, *, replace: bool = False) -> Path:
    """Where a model may be written: ``out_dir`` if it is absent, an empty folder, or a model
    (a model only with ``replace``, the ``--force`` of ``train``). Cheap: call it before
    training. Raises OptionError for a path that would destroy other files, OutputError for
    one that cannot be written."""
    shown = out_dir  # as the user gave it, in messages
    # Absolute and normalized, so `--out .` names the folder itself, with a real parent.
    out = Path(os.path.abspath(out_dir))
    if not out.exists():
        _recover(out)
    if out.is_symlink() and not out.exists():
        raise OptionError(f"--out {shown} is a dangling symlink: give a new or empty folder")
    if out.exists():
        if not out.is_dir():
            raise OptionError(f"--out {shown} is a file, not a folder: give a new or empty "
                              "folder for the model")
        if _is_model(out):
            if not replace:
                raise OptionError(f"--out {shown} already holds a model: pass --force to "
                                  "replace it, or give a new folder")
        elif any(out.iterdir()):
            raise OptionError(f"--out {shown} is a folder with other files in it: give a new "
                              "or empty folder (nothing was written)")
    parent = out.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OptionError(f"--out {shown}: {probe} is a file, not a folder")
    if probe == parent:
        try:  # the only sure test of writability (read-only mounts, /proc, permissions)
            Path(tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent)).rmdir()
        except OSError as exc:
            raise OutputError(f"--out {shown}: cannot write in {parent} "
                              f"({exc.strerror or exc})") from None
    elif not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"--out {shown}: cannot create folders in {probe} (permission denied)")
    return out


def _pid_of(name: str, prefix: str) -> int | None:
    """The pid in ``.NAME.tmp-PID-xxxx`` (None when the name is not ours)."""
    if not name.startswith(prefix):
        return None
    head = name[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _process_started(pid: int) -> float | None:
    """When a process started (None: not running, or unknown)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # running, under another user
    try:
        return os.stat(f"/proc/{pid}").st_ctime
    except OSError:
        return 0.0  # running; start time unknown here


def _abandoned(path: Path, pid: int) -> bool:
    """Left by a save that no longer runs: its pid is gone, or now names a process that
    started after the folder was made (the pid was reused)."""
    if pid == os.getpid():
        return False
    started = _process_started(pid)
    if started is None:
        return True
    try:
        return started > path.stat().st_mtime + 1.0
    except OSError:
        return False


def _recover(out: Path) -> None:
    """Put back a model that a save killed between its two renames left as ``.NAME.old-*``,
    and remove the temp folders of killed saves of ``NAME`` (only ours, only abandoned)."""
    parent = out.parent if str(out.parent) else Path(".")
    if not out.name or not parent.is_dir():
        return
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    old_prefix, tmp_prefix = f".{out.name}.old-", f".{out.name}.tmp-"
    olds = sorted((p for p in entries if _pid_of(p.name, old_prefix) is not None),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    if not out.exists() and not out.is_symlink():
        for old in olds:
            pid = _pid_of(old.name, old_prefix)
            if pid is not None and _abandoned(old, pid) and _is_model(old):
                try:
                    os.rename(old, out)
                except OSError:
                    continue
                log.warning("restored the model %s from %s, left aside by an interrupted "
                            "save", out, old.name)
                olds.remove(old)
                break
    for p in entries:
        pid = _pid_of(p.name, tmp_prefix)
        if pid is None and out.exists():
            pid = _pid_of(p.name, old_prefix)
        if pid is not None and p.is_dir() and not p.is_symlink() and _abandoned(p, pid):
            shutil.rmtree(p, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system or
    the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path) -> None:
    """Make ``tmp`` the model at ``out``; at no moment is ``out`` missing where the system
    swaps atomically, and elsewhere a failure between the renames puts the old one back."""
    if not out.exists():
        os.rename(tmp, out)  # also replaces an empty folder in one step
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the old model
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)  # undo; if even this fails, the next load or save restores it
        raise
    shutil.rmtree(old, ignore_errors=True)


def save_model(model: ThemeModel, out_dir: str | Path,
               examples: StoredExamples | None = None, *, replace: bool = True,
               format_version: int = FORMAT_VERSION) -> Path:
    """Write a model directory atomically (temp dir beside the target, then a swap).

    ``out_dir`` must be absent, empty or a model (``replace=False``: absent or empty); see
    ``check_output_dir``. ``format_version`` 1 writes the layout that packages older than
    format 2 read. Raises OptionError/OutputError, the old model intact, and ModelError for a
    model whose vocabulary cannot be stored (nothing written).
    """
    if format_version not in _READABLE:
        raise OptionError(f"format_version {format_version!r}: this package writes versions "
                          f"{', '.join(map(str, _READABLE))}")
    predictor = _predictor_v2(model) if format_version == 2 else None
    out = check_output_dir(out_dir, replace=replace)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot save the model to {out}: {exc.strerror or exc}") from None
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a model is meant to be shared
        if predictor is None:
            _write_v1(model, tmp)
        else:
            for name, data in predictor.items():
                (tmp / name).write_bytes(data)
        _write_examples(model, tmp, examples)
        _write_meta(model, tmp, format_version)
        _swap_in(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot save the model to {out}: {exc.strerror or exc} (nothing "
                          "was replaced; free some space or choose another --out)") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _model_extras(model: ThemeModel) -> dict[str, Any]:
    """The optional model arrays: one combiner row per theme (issue 11)."""
    return {} if model.theme_combiner is None else {"theme_combiner": model.theme_combiner}


def _example_extras(examples: StoredExamples) -> dict[str, Any]:
    """The optional per-example arrays (weights, judged labels, folds) that the examples
    carry."""
    out: dict[str, Any] = {}
    if examples.weights is not None:
        out["weight"] = np.asarray(examples.weights, dtype=np.float32)
    if examples.judged is not None:
        out["judged"] = np.asarray(examples.judged, dtype=np.uint8)
    if examples.folds is not None:
        out["fold"] = np.asarray(examples.folds, dtype=np.int32)
    return out


def _write_v1(model: ThemeModel, root: Path) -> None:
    space = model.features
    (root / "vocab.json").write_text(json.dumps(
        {"word": space.word_vocab, "char": space.char_vocab, "terms": model.terms},
        ensure_ascii=False), "utf-8")
    # Uncompressed: float coefficients shrink by a quarter at most, and decompressing them cost
    # ~40 ms of every one-page ``classify`` (issue 14).
    np.savez(root / "arrays.npz", word_idf=space.word_idf, char_idf=space.char_idf,
             coef=model.coef, intercept=model.intercept, combiner=model.combiner,
             prior_mask=model.prior_mask.astype(np.uint8), **_model_extras(model))


def _encode_lines(entries: list[str], what: str) -> bytes:
    """A vocabulary as ``words.txt``/``terms.txt`` hold it; refuses what would not read back
    the same (``_lines``): an entry with a line break, a leading byte-order mark."""
    text = "\n".join(entries) + "\n" if entries else ""
    if "\r" in text or text.startswith("\ufeff") or text.count("\n") != len(entries):
        bad = next(e for e in entries if "\n" in e or "\r" in e or e.startswith("\ufeff"))
        raise ModelError(f"cannot save the model: {what} {bad!r} holds a line break or starts "
                         "with a byte-order mark, which a model's vocabulary file cannot "
                         "store; save it with format_version=1 (JSON)")
    # surrogatepass: a lone surrogate (never produced by the tokenizer) still reads back.
    return text.encode("utf-8", "surrogatepass")


def _distinct(entries: list[str], what: str) -> None:
    repeats = len(entries) - len(set(entries))
    if repeats:
        raise ModelError(f"cannot save the model: its {what} vocabulary has {repeats} repeated "
                         "entries (a model built by hand?); a load would refuse it")


def _encode_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    """``arrays.safetensors``: the arrays in a safetensors file (the library orders them by
    alignment and name, so the same arrays always give the same bytes)."""
    import safetensors.numpy

    return safetensors.numpy.save({name: np.ascontiguousarray(a) for name, a in arrays.items()})


def _predictor_v2(model: ThemeModel) -> dict[str, bytes]:
    """The bytes of words.txt, terms.txt and arrays.safetensors, after checking that the model can
    be stored and read back (distinct vocabularies; entries fit the encoding)."""
    space = model.features
    if len(space.word_index) != len(space.word_vocab):
        _distinct(space.word_vocab, "word")
    _distinct(model.terms, "term")
    chars = space.char_packed
    if not _rising(chars):
        _distinct(chars.strings(), "char n-gram")
    if len(chars) and int(chars.lengths.max()) > 255:
        raise ModelError("cannot save the model: a char n-gram over 255 characters cannot be "
                         "stored; save it with format_version=1 (JSON)")
    arrays = {
        "word_idf": np.asarray(space.word_idf, dtype="<f8"),
        "char_idf": np.asarray(space.char_idf, dtype="<f8"),
        # Features x labels, contiguous: what ``linear_scores`` multiplies with (no copy of a
        # loaded model's coefficients, whose ``coef`` is a view of this array).
        "coef_t": np.ascontiguousarray(model.coef.T, dtype="<f4"),
        "intercept": np.asarray(model.intercept, dtype="<f8"),
        "combiner": np.asarray(model.combiner, dtype="<f8"),
        "prior_mask": np.asarray(model.prior_mask, dtype="|u1"),
        **{name: np.asarray(a, dtype="<f8") for name, a in _model_extras(model).items()},
        "char_codepoints": np.asarray(chars.codepoints, dtype="<u4"),
        "char_lengths": np.asarray(chars.lengths, dtype="|u1"),
    }
    return {"words.txt": _encode_lines(space.word_vocab, "word"),
            "terms.txt": _encode_lines(model.terms, "term"),
            _ARRAYS_FILE: _encode_arrays(arrays)}


def _write_examples(model: ThemeModel, root: Path, examples: StoredExamples | None) -> None:
    import scipy.sparse as sp  # training has it loaded already

    space = model.features
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
                        title_hits=examples.title_hits.astype(np.float32),
                        **_example_extras(examples))
    (root / "examples.json").write_text(json.dumps(
        {"ids": examples.ids, "labels": examples.labels}, ensure_ascii=False), "utf-8")


def _write_meta(model: ThemeModel, root: Path, format_version: int) -> None:
    space = model.features
    meta = dict(model.meta)
    meta.update({
        "format_version": format_version,
        "labels": model.label_names(),
        "thresholds": {lab: float(t)
                       for lab, t in zip(model.labels, model.thresholds, strict=True)},
        "features": space.settings.to_dict(),
        "lexicon_groups": model.term_groups,
        "files": {name: _sha256(root / name) for name in _FILES[format_version]},
    })
    (root / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
