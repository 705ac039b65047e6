"""classifier: theme tagging and lead summaries for Chinese trade-union news.

The public API is re-exported here and imported on first use (PEP 562), so that
``import classifier`` and the command line stay fast: scikit-learn is only ever imported by
training, and numpy/scipy only when a model is used. Type checkers see the real objects
through the ``TYPE_CHECKING`` imports below. Layout and layers: docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from classifier.errors import (
        ClassifierError,
        DataError,
        InputError,
        ModelError,
        OptionError,
        OutputError,
        ServiceError,
        UsageError,
    )
    from classifier.labelling.analysis import analyze, classify
    from classifier.labelling.options import Options
    from classifier.labelling.records import LabelRecord
    from classifier.labelling.runner import label
    from classifier.model.store import load_model, save_model
    from classifier.model.theme_model import Prediction, ThemeModel
    from classifier.summary.extract import Summary, summarize
    from classifier.summary.keyterms import keywords
    from classifier.text.article import Article, Dropped, Failure
    from classifier.text.normalize import normalize_text
    from classifier.text.reader import read_articles
    from classifier.text.sentences import split_sentences
    from classifier.text.splitter import split_articles
    from classifier.training.evaluation import evaluate
    from classifier.training.trainer import TrainSettings, train

# public name -> module that defines it (kept in step with the imports above by a test)
_EXPORTS = {
    "Article": "classifier.text.article",
    "Dropped": "classifier.text.article",
    "Failure": "classifier.text.article",
    "ClassifierError": "classifier.errors",
    "DataError": "classifier.errors",
    "InputError": "classifier.errors",
    "ModelError": "classifier.errors",
    "OptionError": "classifier.errors",
    "OutputError": "classifier.errors",
    "ServiceError": "classifier.errors",
    "UsageError": "classifier.errors",
    "normalize_text": "classifier.text.normalize",
    "split_articles": "classifier.text.splitter",
    "read_articles": "classifier.text.reader",
    "split_sentences": "classifier.text.sentences",
    "Summary": "classifier.summary.extract",
    "summarize": "classifier.summary.extract",
    "keywords": "classifier.summary.keyterms",
    "Prediction": "classifier.model.theme_model",
    "ThemeModel": "classifier.model.theme_model",
    "load_model": "classifier.model.store",
    "save_model": "classifier.model.store",
    "Options": "classifier.labelling.options",
    "LabelRecord": "classifier.labelling.records",
    "analyze": "classifier.labelling.analysis",
    "classify": "classifier.labelling.analysis",
    "label": "classifier.labelling.runner",
    "TrainSettings": "classifier.training.trainer",
    "train": "classifier.training.trainer",
    "evaluate": "classifier.training.evaluation",
}

__all__ = [
    "Article",
    "ClassifierError",
    "DataError",
    "Dropped",
    "Failure",
    "InputError",
    "LabelRecord",
    "ModelError",
    "OptionError",
    "Options",
    "OutputError",
    "Prediction",
    "ServiceError",
    "Summary",
    "ThemeModel",
    "TrainSettings",
    "UsageError",
    "__version__",
    "analyze",
    "classify",
    "evaluate",
    "keywords",
    "label",
    "load_model",
    "normalize_text",
    "read_articles",
    "save_model",
    "split_articles",
    "split_sentences",
    "summarize",
    "train",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
