"""Model format 2 (issue 14): text vocabularies + a safetensors file of arrays, read fast and
checked as strictly as format 1, which still loads and predicts the same."""

from __future__ import annotations

import io
import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import ModelError
from classifier.features.charcount import PackedStrings
from classifier.model import store
from classifier.model.store import load_examples, load_model, save_model

from .classifier_fixtures import copy_model, rehash, resave_v1, write_jsonl

ITEMS = [("技能大赛", "参赛选手在决赛中技术比武，劳动模范和工匠代表现场观摩。"),
         ("", "困难职工帮扶资金发放到位，金秋助学，送温暖。"),
         ("职工书屋", "女职工权益保护专项集体合同签订，工会组织建设。")]


def _arrays(root: Path) -> dict[str, np.ndarray]:
    """The arrays of a format-2 model, read with the safetensors library."""
    return safetensors.numpy.load((root / "arrays.safetensors").read_bytes())


def _write_arrays(root: Path, arrays: dict[str, np.ndarray]) -> None:
    """Rewrite arrays.safetensors and fix its hash, as a hand edit (or an attacker) could."""
    (root / "arrays.safetensors").write_bytes(store._encode_arrays(arrays))
    rehash(root, "arrays.safetensors")


def _edit_text(root: Path, name: str, change: Any) -> None:
    lines = (root / name).read_text("utf-8").split("\n")[:-1]
    (root / name).write_bytes(change(lines))
    rehash(root, name)


# -- format 1 still loads, and predicts the same ---------------------------------------------------

def test_old_layout_loads_and_predicts_as_converted(tiny_model: Path, tmp_path: Path) -> None:
    old = resave_v1(tiny_model, tmp_path / "v1")
    assert {p.name for p in old.iterdir()} == {"meta.json", "vocab.json", "arrays.npz",
                                               "examples.npz", "examples.json"}
    assert json.loads((old / "meta.json").read_text("utf-8"))["format_version"] == 1
    a = load_model(old)
    new = save_model(a, tmp_path / "v2", load_examples(old))  # the conversion
    assert {p.name for p in new.iterdir()} == {"meta.json", "words.txt", "terms.txt",
                                               "arrays.safetensors", "examples.npz",
                                               "examples.json"}
    b = load_model(new)
    assert b.predict_many(ITEMS, top_terms=8) == a.predict_many(ITEMS, top_terms=8)
    assert any(p.labels for p in a.predict_many(ITEMS))  # the comparison compares something
    assert np.array_equal(a.coef, b.coef) and a.coef.dtype == b.coef.dtype
    assert a.features.word_vocab == b.features.word_vocab and a.terms == b.terms
    assert a.features.char_vocab == b.features.char_vocab
    for name in ("word_idf", "char_idf"):
        assert np.array_equal(getattr(a.features, name), getattr(b.features, name))
    meta_a, meta_b = dict(a.meta), dict(b.meta)
    for meta in (meta_a, meta_b):
        del meta["files"], meta["format_version"]
    assert meta_a == meta_b
    # Back to format 1: the same vocab.json, byte for byte.
    back = save_model(b, tmp_path / "back", load_examples(new), format_version=1)
    assert (back / "vocab.json").read_bytes() == (old / "vocab.json").read_bytes()


def test_format_2_multiplies_with_the_stored_array(tiny_model: Path) -> None:
    """No transposed copy at load: the features x labels array read is the one used."""
    model = load_model(tiny_model)
    assert model._coef_t.flags["C_CONTIGUOUS"] and np.shares_memory(model._coef_t, model.coef)
    assert model.coef.shape == (len(model.labels), model.features.n_features)


def test_train_base_reads_both_layouts(tiny_model: Path, tmp_path: Path) -> None:
    from classifier.training.trainer import TrainSettings, train

    data = write_jsonl(tmp_path / "new.jsonl", [
        {"id": "n1", "title": "职工书屋", "text": "职工书屋举办读书分享会，书香满园。",
         "labels": ["workers_culture"]}])
    old = resave_v1(tiny_model, tmp_path / "v1")
    for base, out in ((tiny_model, "from2"), (old, "from1")):
        train([data], out_dir=tmp_path / out, base=base, settings=TrainSettings(cv=2, seed=0))
    a, b = load_model(tmp_path / "from2"), load_model(tmp_path / "from1")
    assert a.predict_many(ITEMS) == b.predict_many(ITEMS)
    ea, eb = load_examples(tmp_path / "from2"), load_examples(tmp_path / "from1")
    assert ea.ids == eb.ids and (ea.counts != eb.counts).nnz == 0
    assert ea.char_vocab == eb.char_vocab
    assert set(load_examples(tiny_model).char_vocab) < set(ea.char_vocab)  # grew: 书分


# -- format 2 is checked as strictly -----------------------------------------------------------

@pytest.mark.parametrize("name, change, needle", [
    ("words.txt", lambda w: "".join(x + "\n" for x in [*w[:-1], w[0]]).encode(),
     r"words\.txt: expected distinct entries"),
    ("terms.txt", lambda t: "".join(x + "\n" for x in [*t[:-1], t[0]]).encode(),
     r"terms\.txt: expected distinct entries"),
    ("words.txt", lambda w: "".join(x + "\n" for x in w).encode()[:-1],
     r"words\.txt: expected every entry to end with a line break"),
    ("words.txt", lambda w: "".join(x + "\n" for x in w[:-1]).encode(),
     r"words\.txt: expected \d[\d,]* entries \(the length of word_idf"),
    ("words.txt", lambda w: b"\xff\xfe" + "".join(x + "\n" for x in w).encode(),
     r"words\.txt: not UTF-8"),
    ("words.txt", lambda w: "".join(x + "\r\n" for x in w).encode(),
     r"words\.txt: expected plain LF-terminated lines"),
], ids=["repeated-word", "repeated-term", "cut-mid-line", "cut-at-line", "not-utf8", "crlf"])
def test_damaged_vocabulary_text_is_refused(tiny_model: Path, tmp_path: Path, name: str,
                                            change: Any, needle: str) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    _edit_text(root, name, change)
    with pytest.raises(ModelError, match=needle):
        load_model(root)


def test_repeated_or_unsorted_char_ngrams(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    arrays = _arrays(root)
    chars = PackedStrings(arrays["char_codepoints"], arrays["char_lengths"]).strings()
    assert chars == sorted(chars) and store._rising(PackedStrings.of(chars))  # fast path

    def with_chars(grams: list[str]) -> None:
        packed = PackedStrings.of(grams)
        _write_arrays(root, {**arrays, "char_codepoints": packed.codepoints.astype("<u4"),
                             "char_lengths": packed.lengths.astype("u1")})

    with_chars(chars[::-1])  # distinct in another order: the exact check, and it loads
    model = load_model(root)
    assert model.features.char_vocab == chars[::-1]
    with_chars([*chars[:-1], chars[0]])  # one repeated n-gram
    with pytest.raises(ModelError,
                       match=r"arrays\.safetensors: array 'char_codepoints'.*distinct"):
        load_model(root)
    with_chars([*chars[:-1], chars[-2]])  # repeated neighbours, sorted order
    with pytest.raises(ModelError,
                       match=r"arrays\.safetensors: array 'char_codepoints'.*distinct"):
        load_model(root)


def _set(name: str, value: Any) -> Any:
    def change(arrays: dict[str, np.ndarray]) -> None:
        arrays[name] = value(arrays[name]) if callable(value) else value
    return change


@pytest.mark.parametrize("change, needle", [
    (_set("coef_t", lambda a: a[:-1]), r"arrays\.safetensors: array 'coef_t'.*expected shape"),
    (_set("coef_t", lambda a: a.T.copy()),
     r"arrays\.safetensors: array 'coef_t'.*expected shape"),
    (_set("coef_t", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 3, np.nan, a)
          .astype(a.dtype)), r"arrays\.safetensors: array 'coef_t'.*finite numbers only"),
    # Numbers safetensors stores but a model never holds: refused by our list of dtypes.
    (_set("word_idf", lambda a: a.astype(np.float16)),
     r"arrays\.safetensors: array 'word_idf'.*expected a dtype among .*got 'F16'"),
    # A plain dtype of the wrong kind for the array.
    (_set("word_idf", lambda a: a.astype(np.int64)), r"'word_idf'.*expected dtype kind 'f'"),
    (_set("char_codepoints", lambda a: np.r_[a[:-1], 0x110000].astype("<u4")),
     r"'char_codepoints'.*below 0x110000"),
    (_set("char_lengths", lambda a: np.r_[a[:-1], a[-1] + 1].astype("u1")),
     r"'char_lengths'.*adding up to"),
    (lambda arrays: arrays.pop("intercept"),
     r"arrays\.safetensors: array 'intercept' is missing"),
], ids=["coef-rows", "coef-transposed", "coef-nan", "float16", "int-idf",
        "codepoint", "lengths", "missing"])
def test_bad_arrays_are_refused(tiny_model: Path, tmp_path: Path, change: Any,
                                needle: str) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    arrays = _arrays(root)
    change(arrays)
    _write_arrays(root, arrays)
    with pytest.raises(ModelError, match=needle):
        load_model(root)


def _patch_header(root: Path, edit: Any, tail: bytes = b"") -> None:
    """Rewrite the JSON header of arrays.safetensors (the array bytes stay as they were, then
    ``tail``), as a hand edit could, and fix its hash."""
    data = (root / "arrays.safetensors").read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    edited = edit(header)  # the edited header, or the raw bytes to write instead
    raw = edited if isinstance(edited, bytes) else json.dumps(header).encode()
    (root / "arrays.safetensors").write_bytes(
        len(raw).to_bytes(8, "little") + raw + data[8 + length:] + tail)
    rehash(root, "arrays.safetensors")


def _update(name: str, **fields: Any) -> Any:
    def edit(header: dict[str, Any]) -> None:
        entry = header[name]
        for key, value in fields.items():
            entry[key] = value(entry) if callable(value) else value
    return edit


def _swap_dims(entry: dict[str, Any]) -> list[int]:
    return entry["shape"][::-1]


def _pad_header(header: dict[str, Any]) -> bytes:
    return json.dumps(header).encode().ljust(store._MAX_HEADER_BYTES + 1)


# What the library refuses (the container) and what we refuse on top (what a model holds);
# every one before any array is made.
_REFUSED = r"not a valid safetensors file \(.+\); the model is damaged"


@pytest.mark.parametrize("edit, needle", [
    # The library: byte ranges against dtypes, shapes and the file.
    # (Its messages differ between versions: matched by our wrapping only.)
    (_update("coef_t", shape=[10**9, 10**6]), _REFUSED),
    (_update("coef_t", shape=[2**40, 2**40]), _REFUSED),
    (_update("coef_t", data_offsets=lambda e: [e["data_offsets"][0], 10**12]), _REFUSED),
    (_update("coef_t", data_offsets=[0, 8]), _REFUSED),
    (lambda h: h.pop("intercept"), _REFUSED),
    (_update("coef_t", dtype="O"), _REFUSED),
    (_update("word_idf", dtype="<U1"), _REFUSED),  # it knows no string dtype
    (_update("coef_t", shape=[-1]), _REFUSED),
    # We: dtypes the library knows but a model never holds, and shapes that fit the bytes but
    # not the model.
    (_update("coef_t", dtype="BF16", shape=lambda e: [e["shape"][0], 2 * e["shape"][1]]),
     r"array 'coef_t'.*expected a dtype among .*got 'BF16'"),
    # (Versions of the library before float8 and complex numbers refuse these themselves.)
    (_update("char_lengths", dtype="F8_E4M3"),
     rf"array 'char_lengths'.*expected a dtype|{_REFUSED}"),
    (_update("word_idf", dtype="C64"), rf"array 'word_idf'.*expected a dtype|{_REFUSED}"),
    (_update("coef_t", dtype="I32"), r"array 'coef_t'.*expected dtype kind 'f'"),
    (_update("coef_t", shape=_swap_dims), r"array 'coef_t'.*expected shape"),
    (_update("coef_t", shape=lambda e: [*e["shape"], 1]), r"array 'coef_t'.*expected shape"),
    (_update("word_idf", shape=lambda e: [1, *e["shape"]]),
     r"array 'word_idf'.*expected a 1-dimensional array"),
    (_pad_header, "expected a safetensors header of at most"),
], ids=["huge-shape", "overflowing-shape", "offset-past-end", "offset-overlapping",
        "array-left-out", "object-dtype", "string-dtype", "negative-size", "bfloat16",
        "float8", "complex", "int-coef", "transposed", "extra-dim", "2d-idf", "huge-header"])
def test_lying_header_is_refused_before_any_array(tiny_model: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  edit: Any, needle: str) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    _patch_header(root, edit)

    def no_arrays(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an array was made from a refused file")

    monkeypatch.setattr(np, "frombuffer", no_arrays)
    with pytest.raises(ModelError, match=r"/m/arrays\.safetensors: .*" + f"(?:{needle})"):
        load_model(root)


def test_extra_bytes_after_the_arrays(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    _patch_header(root, lambda h: None, tail=b"\0" * 64)
    with pytest.raises(ModelError, match=r"arrays\.safetensors: " + _REFUSED):
        load_model(root)


def test_library_metadata_is_ignored(tiny_model: Path, tmp_path: Path) -> None:
    """``__metadata__`` (free text for the library) and a padded header change nothing."""
    root = copy_model(tiny_model, tmp_path / "m")
    _patch_header(root, lambda h: h.update(__metadata__={"note": "hand edit"}))
    assert load_model(root).predict_many(ITEMS) == load_model(tiny_model).predict_many(ITEMS)


def test_not_a_safetensors_file(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    zipped = io.BytesIO()
    np.savez(zipped, coef_t=np.zeros(3))
    for data in (b"", b"\x80\x04K\x01.", zipped.getvalue(),
                 b"MAGIC123" + (2).to_bytes(8, "little") + b"{}",  # another container
                 (2).to_bytes(8, "little") + b"[]", (5).to_bytes(8, "little") + b"{\"a\"",
                 (4).to_bytes(8, "little") + b"\"\xff\xfe\""):
        (root / "arrays.safetensors").write_bytes(data)
        rehash(root, "arrays.safetensors")
        with pytest.raises(ModelError, match=r"arrays\.safetensors: (not a valid safetensors "
                                             r"file|expected a safetensors header)"):
            load_model(root)


def test_unhashed_edit_is_a_sha256_mismatch(tiny_model: Path, tmp_path: Path) -> None:
    root = copy_model(tiny_model, tmp_path / "m")
    arrays = _arrays(root)
    arrays["coef_t"] = arrays["coef_t"][:-1]
    (root / "arrays.safetensors").write_bytes(store._encode_arrays(arrays))  # no rehash
    with pytest.raises(ModelError, match=r"arrays\.safetensors does not match the sha256"):
        load_model(root)


def test_same_arrays_same_bytes(tiny_model: Path) -> None:
    """Saving is deterministic (the hash in meta.json names the content): the arrays read
    back encode to the very bytes of the file, whatever order they are given in."""
    arrays = _arrays(tiny_model)
    data = (tiny_model / "arrays.safetensors").read_bytes()
    assert store._encode_arrays(arrays) == data
    assert store._encode_arrays(dict(reversed(arrays.items()))) == data


# -- the encodings round-trip, or saving refuses -----------------------------------------------

_TEXT = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=()),
                max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=30, unique=True))
def test_vocabulary_lines_round_trip(entries: list[str]) -> None:
    if entries and entries[0].startswith("\ufeff"):
        with pytest.raises(ModelError, match="byte-order mark"):
            store._encode_lines(entries, "word")
        return
    raw = store._encode_lines(entries, "word")
    assert store._lines(raw, "words.txt") == entries


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=30))
def test_packed_strings_round_trip_and_order(entries: list[str]) -> None:
    """Any strings (lone surrogates, U+0000, astral characters) pack and unpack; the fast
    order check never calls a vocabulary with repeats rising, and calls every sorted
    distinct vocabulary of short, NUL-free entries rising."""
    packed = PackedStrings.of(entries)
    fresh = PackedStrings(packed.codepoints.copy(), packed.lengths.copy())
    assert fresh.strings() == entries
    assert [fresh.item(i) for i in range(len(entries))] == entries
    # Some entries decoded together (explanations), in any order, repeats allowed.
    picked = np.asarray([i * 7 % len(entries) for i in range(len(entries))][::-1],
                        dtype=np.int64)
    again = PackedStrings(packed.codepoints.copy(), packed.lengths.copy())
    assert again.items(picked) == [entries[i] for i in picked.tolist()]
    rising = all(a < b for a, b in pairwise(entries))
    if store._rising(fresh):
        assert rising
    distinct = sorted(set(entries))
    if all("\0" not in e and 0 < len(e) <= 24 for e in distinct):
        assert store._rising(PackedStrings.of(distinct))


@pytest.mark.parametrize("field, bad", [("word_vocab", "工\n会"), ("terms", "职工\r")])
def test_save_refuses_entries_a_text_vocabulary_cannot_hold(tiny_model: Path, tmp_path: Path,
                                                            field: str, bad: str) -> None:
    model = load_model(tiny_model)
    owner = model.features if field == "word_vocab" else model
    setattr(owner, field, [*getattr(owner, field)[:-1], bad])
    with pytest.raises(ModelError, match="line break"):
        save_model(model, tmp_path / "m")
    assert not list(tmp_path.iterdir())  # nothing written
    # Format 1 (JSON) can hold it.
    save_model(model, tmp_path / "m", format_version=1)
    assert bad in load_model(tmp_path / "m").features.word_vocab + load_model(
        tmp_path / "m").terms


def test_save_refuses_a_repeated_word(tiny_model: Path, tmp_path: Path) -> None:
    from classifier.features.space import FeatureSpace

    model = load_model(tiny_model)
    fs = model.features
    words = [*fs.word_vocab[:-1], fs.word_vocab[0]]
    model.features = FeatureSpace(fs.settings, words, fs.char_vocab, fs.word_idf, fs.char_idf)
    with pytest.raises(ModelError, match="word vocabulary has 1 repeated"):
        save_model(model, tmp_path / "m")
    assert not list(tmp_path.iterdir())
