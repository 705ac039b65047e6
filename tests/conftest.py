"""Shared fixtures: seed pages and the optional ../shared corpus."""

from __future__ import annotations

from pathlib import Path

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
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"needs the shared corpus at {SHARED} (not present in this checkout)")
    return SHARED
