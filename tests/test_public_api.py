"""The one public face: ``classifier.__all__``, independent of import order, light to import."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import classifier

EXPECTED = [
    "Article", "ClassifierError", "DataError", "Dropped", "Failure", "InputError",
    "LabelRecord", "ModelError", "OptionError", "Options", "OutputError", "Prediction",
    "ServiceError", "Summary", "ThemeModel", "TrainSettings", "UsageError", "__version__",
    "analyze", "classify", "evaluate", "keywords", "label", "load_model", "normalize_text",
    "read_articles", "save_model", "split_articles", "split_sentences", "summarize", "train",
]


def all_submodules() -> list[str]:
    """Every module of the package, by import name."""
    return sorted(m.name for m in pkgutil.walk_packages(classifier.__path__, "classifier."))


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(classifier.__all__) == sorted(EXPECTED)
    assert set(classifier.__all__) == {"__version__", *classifier._EXPORTS}
    for name in classifier.__all__:
        assert getattr(classifier, name) is not None


def test_public_names_survive_importing_every_submodule_first() -> None:
    """``import classifier.x.y`` before ``from classifier import name`` changes nothing: each
    public name is the function or class of the module that defines it, never a module."""
    code = (
        "import importlib, inspect, pkgutil, sys, classifier\n"
        "mods = [m.name for m in pkgutil.walk_packages(classifier.__path__, 'classifier.')]\n"
        "for m in mods:\n"
        "    if m != 'classifier.__main__':\n"
        "        importlib.import_module(m)\n"
        "for name, mod in classifier._EXPORTS.items():\n"
        "    value = getattr(classifier, name)\n"
        "    assert not inspect.ismodule(value), name\n"
        "    assert value is getattr(sys.modules[mod], name), name\n"
        "    assert getattr(value, '__module__', mod) == mod, (name, value.__module__)\n"
        "print('ok', len(mods))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def test_no_module_shares_its_name_with_a_public_function() -> None:
    leaves = {name.rsplit(".", 1)[-1] for name in all_submodules()}
    assert not leaves & set(classifier.__all__)


def test_type_checking_imports_match_the_lazy_table() -> None:
    """The names type checkers see (the TYPE_CHECKING block) are the names exported lazily."""
    tree = ast.parse(Path(inspect.getfile(classifier)).read_text("utf-8"))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                for alias in imp.names:
                    seen[alias.name] = str(imp.module)
    assert seen == classifier._EXPORTS


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


def test_every_submodule_imports() -> None:
    for name in all_submodules():
        if name != "classifier.__main__":
            importlib.import_module(name)
