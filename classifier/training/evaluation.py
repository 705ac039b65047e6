"""Score a model on labelled data: ``evaluate(path, model=...)``, and the ``--base`` comparison.

Labels the model does not know count as always missed (with a warning), so an evaluation on
data with a new theme does not look better than it is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from classifier.model.store import load_model
from classifier.model.theme_model import ThemeModel
from classifier.training.datasets import Example, read_examples
from classifier.training.metrics import report

__all__ = ["compare_with_base", "evaluate", "evaluate_examples"]

log = logging.getLogger(__name__)


def evaluate_examples(model: ThemeModel, examples: list[Example]) -> dict[str, Any]:
    """n, micro/macro F1 and per-label P/R/F1 of ``model`` on labelled ``examples``."""
    labels = list(model.labels)
    extra = sorted({lab for ex in examples for lab in ex.labels} - set(labels))
    for lab in extra:
        log.warning("label %r is unknown to the model: counted as always missed", lab)
    allk = [*labels, *extra]
    idx = {lab: j for j, lab in enumerate(allk)}
    y = np.zeros((len(examples), len(allk)), dtype=np.int8)
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            y[i, idx[lab]] = 1
    proba = np.zeros(y.shape)
    if examples:
        p, _ = model.predict_proba_many([(ex.title, ex.text) for ex in examples])
        proba[:, :len(labels)] = p
    pred = np.zeros_like(y)
    pred[:, :len(labels)] = model.decide(proba[:, :len(labels)])
    return report(y, pred, allk, proba)


def _headline(model: ThemeModel, examples: list[Example]) -> dict[str, Any]:
    full = evaluate_examples(model, examples)
    return {k: full[k] for k in ("n", "micro_f1", "macro_f1") if k in full}


def compare_with_base(base: str | Path, new: str | Path,
                      examples: list[Example]) -> dict[str, Any]:
    """Base vs new model on the new data, and both models' stored CV metrics."""
    old_m, new_m = load_model(base), load_model(new)
    return {"new_data": {"base": _headline(old_m, examples), "new": _headline(new_m, examples)},
            "base_cv": {k: old_m.meta.get("cv_metrics", {}).get(k)
                        for k in ("micro_f1", "macro_f1")},
            "new_cv": {k: new_m.meta.get("cv_metrics", {}).get(k)
                       for k in ("micro_f1", "macro_f1")}}


def evaluate(path: str | Path, *, model: ThemeModel | str | Path = "default",
             skip_bad: bool = False) -> dict[str, Any]:
    """n, micro/macro F1, per-label P/R/F1/support (and top-1 accuracy for single-label data).

    Raises ``DataError`` for unreadable data and ``ModelError`` for an unusable model.
    """
    m = model if isinstance(model, ThemeModel) else load_model(model)
    examples, _ = read_examples(path, skip_bad=skip_bad)
    return evaluate_examples(m, examples)
