"""The served model behind one reference that a reload swaps atomically (``ModelHolder``)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError, ModelError
from classifier.model.theme_model import ThemeModel

__all__ = ["Loaded", "ModelHolder"]

# uvicorn configures this logger to stderr; reload messages belong in the same server log.
log = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class Loaded:
    """One loaded model and when it was loaded; swapped as a whole on reload."""

    model: ThemeModel
    generation: int
    loaded_at: str


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class ModelHolder:
    """The served model behind a single reference that a reload replaces atomically.

    Readers take ``holder.model`` once per request and keep that object; a reload builds the
    new model completely before assigning it, so no request sees a half-loaded model, and a
    failed load leaves the old one in place.
    """

    def __init__(self, spec: str | Path, model: ThemeModel | None = None) -> None:
        self.spec = str(spec)
        self._lock = threading.Lock()  # serializes reloads; readers never take it
        self._current: Loaded | None = Loaded(model, 1, _now()) if model is not None else None
        self.failed_reloads = 0
        self.last_error: str | None = None

    @property
    def current(self) -> Loaded | None:
        """The loaded model with its generation, or None before the first load."""
        return self._current

    @property
    def model(self) -> ThemeModel:
        """The model to use for one request."""
        current = self._current
        if current is None:
            raise ModelError(f"model {self.spec!r} is not loaded yet")
        return current.model

    @property
    def generation(self) -> int:
        """1 after the first load, +1 per successful reload."""
        current = self._current
        return current.generation if current is not None else 0

    def load(self) -> Loaded:
        """Load the model from ``spec`` and swap it in. Raises ModelError, keeping the old one."""
        from classifier.model.store import load_model

        with self._lock:
            try:
                model = load_model(self.spec)
            except ClassifierError as exc:
                self.failed_reloads += 1
                self.last_error = str(exc)
                raise
            new = Loaded(model, self.generation + 1, _now())
            self._current = new  # the one atomic swap
            self.last_error = None
            return new

    reload = load

    def reload_logged(self) -> None:
        """Reload and log the outcome instead of raising (for the SIGHUP path)."""
        try:
            new = self.reload()
        except Exception as exc:  # a signal-driven reload must never take the server down
            log.error("reload of %s failed, still serving generation %d: %s", self.spec,
                      self.generation, exc)
            return
        log.info("reloaded model %s: generation %d", self.spec, new.generation)

    def health(self) -> dict[str, Any]:
        """The /health document."""
        current = self._current
        return {
            "status": "ok" if current is not None else "loading",
            "model": self.spec,
            "labels": len(current.model.labels) if current is not None else 0,
            "generation": self.generation,
            "loaded_at": current.loaded_at if current is not None else None,
            "failed_reloads": self.failed_reloads,
            "last_error": self.last_error,
            "pid": os.getpid(),
        }
