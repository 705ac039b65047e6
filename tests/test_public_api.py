from __future__ import annotations

import subprocess
import sys

import pytest

import classifier

EXPECTED = [
    "Article", "ClassifierError", "DataError", "Dropped", "InputError", "ModelError",
    "Options", "Prediction", "Summary", "ThemeModel", "__version__", "analyze", "classify",
    "evaluate", "keywords", "load_model", "normalize_text", "read_articles", "save_model",
    "split_articles", "split_sentences", "summarize", "train",
]


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(classifier.__all__) == sorted(EXPECTED)
    for name in classifier.__all__:
        assert getattr(classifier, name) is not None


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        classifier.no_such_thing  # noqa: B018


def test_import_has_no_heavy_side_effects() -> None:
    code = ("import sys, classifier\n"
            "print(sorted(m for m in ('numpy', 'sklearn', 'jieba', 'rjieba', 'opencc')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
