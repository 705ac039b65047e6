"""The served model behind one reference that a reload swaps atomically (``ModelHolder``)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.errors import ClassifierError, ModelError
from classifier.model.theme_model import ThemeModel

if TYPE_CHECKING:
    from classifier.service.pool import Analyzer

__all__ = ["Loaded", "ModelHolder"]

# uvicorn configures this logger to stderr; reload messages belong in the same server log.
log = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class Loaded:
    """One loaded model and when it was loaded; swapped as a whole on reload."""

    model: ThemeModel
    generation: int
    loaded_at: str


def _try(model: ThemeModel) -> None:
    """Classify one sentence with ``model``, as every request will (a model that loads but
    cannot predict must never be swapped in)."""
    from classifier.labelling.analysis import analyze
    from classifier.text.reader import articles_from_text

    analyze(articles_from_text("本报讯 职工技能大赛在广州举行。"), model)


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
        # The analysis workers (service/pool): prepared for each new model before the swap.
        self.analyzer: Analyzer | None = None
        self._current: Loaded | None = Loaded(model, 1, _now()) if model is not None else None
        self.failed_reloads = 0
        self.last_error: str | None = None
        self.last_failed_at: str | None = None

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

    def _load_checked(self) -> ThemeModel:
        """The model at ``spec``, fully validated and tried on one sentence; any failure is
        counted, kept in ``last_error`` and raised as ModelError."""
        from classifier.model.store import load_model

        try:
            model = load_model(self.spec)
            _try(model)
        except Exception as exc:  # whatever the cause, the old model must keep serving
            self._failed(str(exc) if isinstance(exc, ClassifierError) else (
                f"the model at {self.spec} fails on a test sentence: {exc!r}"))
            if isinstance(exc, ModelError):
                raise
            raise ModelError(self.last_error) from exc
        return model

    def load(self) -> Loaded:
        """Load the model from ``spec`` and swap it in, with analysis workers serving it when
        there is an ``analyzer``. Raises ModelError, keeping the old model and workers."""
        with self._lock:
            model = self._load_checked()
            staged = None
            if self.analyzer is not None:
                try:
                    staged = self.analyzer.prepare(self.spec, model)
                except Exception as exc:  # the old model and workers keep serving
                    self._failed(str(exc) if isinstance(exc, ClassifierError) else
                                 f"cannot start the analysis processes for {self.spec}: {exc!r}")
                    raise ModelError(self.last_error or str(exc)) from exc
            new = Loaded(model, self.generation + 1, _now())
            self._current = new  # the one atomic swap
            if staged is not None and self.analyzer is not None:
                self.analyzer.install(staged)
            self.last_error = None
            return new

    def _failed(self, message: str) -> None:
        self.failed_reloads += 1
        self.last_error = message
        self.last_failed_at = _now()

    def check(self) -> None:
        """Validate the model at ``spec`` as a reload would, without swapping it in (used
        before asking a multi-worker master to replace its workers)."""
        with self._lock:
            self._load_checked()
            self.last_error = None

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
            "last_failed_at": self.last_failed_at,
            "pid": os.getpid(),
        }
