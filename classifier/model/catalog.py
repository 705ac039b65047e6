"""The models a user has: directories under models/ (or another folder) with a meta.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifier.errors import ModelError
from classifier.model.store import installed_models_dir, models_dir

__all__ = ["list_models", "model_summary"]


def model_summary(root: Path) -> dict[str, Any]:
    """Name, labels, training size and cross-validated metrics from a model's meta.json.

    Reads meta.json only (no hash check: listing must stay cheap); ``load_model`` verifies.
    """
    path = root / "meta.json"
    try:
        if path.stat().st_size > _MAX_META_BYTES:
            raise ValueError(f"over {_MAX_META_BYTES:,} bytes")
        meta = json.loads(path.read_text("utf-8"))
    except RecursionError:
        return {"name": root.name, "path": str(root),
                "error": "unreadable meta.json (nested too deeply)"}
    except (OSError, ValueError) as exc:
        return {"name": root.name, "path": str(root), "error": f"unreadable meta.json ({exc})"}
    if not isinstance(meta, dict):  # listed, not loaded: a damaged model is shown, not fatal
        return {"name": root.name, "path": str(root),
                "error": "meta.json is not a JSON object"}
    training = _dict(meta.get("training"))
    labels = meta.get("labels")
    return {
        "name": root.name,
        "path": str(root),
        "created_at": meta.get("created_at"),
        "package_version": meta.get("package_version"),
        "labels": [lab.get("id") if isinstance(lab, dict) else lab
                   for lab in (labels if isinstance(labels, list) else [])],
        "n_examples": training.get("n_examples"),
        "examples_per_label": training.get("examples_per_label"),
        "features": _dict(meta.get("features")),
        "metrics": _headline(_dict(meta.get("cv_metrics"))),
    }


_MAX_META_BYTES = 8 << 20  # the bound load_model applies too


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def list_models(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """Summaries of every model directory under ``directory`` (default: models/)."""
    if directory:
        base = Path(directory)
    else:  # a checkout's models/, else the models shipped in the installed package
        base = models_dir() if models_dir().is_dir() else installed_models_dir()
    if not base.is_dir():
        raise ModelError(f"{base}: no such models directory; pass --dir or train a model "
                         "with `classifier train DATA --out models/NAME`")
    return [model_summary(p) for p in sorted(base.iterdir()) if (p / "meta.json").is_file()]


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The cross-validated figures worth a glance; per-theme tables stay in meta.json."""
    keys = ("n", "folds", "micro_precision", "micro_recall", "micro_f1", "macro_f1")
    return {k: metrics[k] for k in keys if k in metrics}
