"""Shared fixtures: seed pages and the optional ../shared corpus."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


def seed_path(prefix: str) -> Path:
    """The seed page whose file name starts with ``prefix`` (e.g. ``"002"``)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def seed_text(prefix: str) -> str:
    """Decoded text of a seed page."""
    return seed_path(prefix).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained once per session on synthetic taxonomy data (no ../shared)."""
    from .classifier_fixtures import tiny_model_dir

    root = tmp_path_factory.getbasetemp() / "tiny-classifier"
    root.mkdir(exist_ok=True)
    return tiny_model_dir(str(root))[0]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"needs the shared corpus at {SHARED} (not present in this checkout)")
    return SHARED


def read_records(path: Path) -> list[dict[str, Any]]:
    """Parsed JSONL records of an output file, in order."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def big5_page() -> bytes:
    """Seed 003 in traditional characters, encoded as Big5."""
    import opencc

    return opencc.OpenCC("s2t").convert(seed_text("003")).encode("big5", errors="replace")


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """UTF-8, GB18030, UTF-16 and Big5 pages, a nested folder, empty and binary files, loops."""
    root = tmp_path / "pages"
    (root / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(seed_path("000"), root / "a_utf8.txt")
    (root / "b_gb18030.txt").write_bytes(seed_text("001").encode("gb18030"))
    (root / "nested" / "c_utf16.txt").write_bytes(seed_text("002").encode("utf-16"))
    (root / "nested" / "deeper" / "d_big5.txt").write_bytes(big5_page())
    (root / "e_empty.txt").write_bytes(b"")
    (root / "f_binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "g_ignored.md").write_text("不是 txt", "utf-8")
    os.symlink("..", root / "nested" / "loop")  # a directory symlink back to the top
    os.symlink("self.txt", root / "self.txt")  # a symlink to itself (ELOOP) matching the glob
    return root
