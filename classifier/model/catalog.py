"""The models a user has: directories under models/ (or another folder) with a meta.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifier.errors import ModelError
from classifier.model.store import models_dir

__all__ = ["list_models", "model_summary"]


def model_summary(root: Path) -> dict[str, Any]:
    """Name, labels, training size and cross-validated metrics from a model's meta.json.

    Reads meta.json only (no hash check: listing must stay cheap); ``load_model`` verifies.
    """
    try:
        meta = json.loads((root / "meta.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return {"name": root.name, "path": str(root), "error": f"unreadable meta.json ({exc})"}
    training = meta.get("training", {})
    labels = meta.get("labels", [])
    return {
        "name": root.name,
        "path": str(root),
        "created_at": meta.get("created_at"),
        "package_version": meta.get("package_version"),
        "labels": [lab.get("id") if isinstance(lab, dict) else lab for lab in labels],
        "n_examples": training.get("n_examples"),
        "examples_per_label": training.get("examples_per_label"),
        "metrics": _headline(meta.get("cv_metrics") or {}),
    }


def list_models(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """Summaries of every model directory under ``directory`` (default: models/)."""
    base = Path(directory) if directory else models_dir()
    if not base.is_dir():
        raise ModelError(f"{base}: no such models directory; pass --dir or train a model "
                         "with `classifier train DATA --out models/NAME`")
    return [model_summary(p) for p in sorted(base.iterdir()) if (p / "meta.json").is_file()]


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The cross-validated figures worth a glance; per-theme tables stay in meta.json."""
    keys = ("n", "folds", "micro_precision", "micro_recall", "micro_f1", "macro_f1")
    return {k: metrics[k] for k in keys if k in metrics}
