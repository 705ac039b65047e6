"""classifier: theme tagging and lead summaries for Chinese trade-union news.

The public API is re-exported here and imported on first use (PEP 562), so that
``import classifier`` and the command line stay fast: scikit-learn is only ever imported by
training, and numpy/scipy only when a model is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Article": "classifier.text.article",
    "Dropped": "classifier.text.article",
    "ClassifierError": "classifier.errors",
    "DataError": "classifier.errors",
    "InputError": "classifier.errors",
    "ModelError": "classifier.errors",
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
    "Options": "classifier.labelling.analysis",
    "analyze": "classifier.labelling.analysis",
    "classify": "classifier.labelling.analysis",
    "train": "classifier.training.trainer",
    "evaluate": "classifier.training.trainer",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
