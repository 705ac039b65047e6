"""Running the HTTP service: the reloadable model, the body-size limit, uvicorn and signals.

Signals (see docs/SERVE_BENCH.md for the multi-worker story):

- SIGHUP to a worker process reloads its model in place (installed in the app's lifespan with
  ``loop.add_signal_handler``, beside uvicorn's own SIGINT/SIGTERM handlers). With
  ``workers > 1`` the uvicorn master handles SIGHUP itself by replacing its workers one at a
  time, each new worker loading the model afresh.
- SIGTERM/SIGINT: uvicorn finishes requests in flight and stops; ``run_server`` then returns
  normally, so ``classifier serve`` exits with code 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from classifier.errors import ClassifierError, InputError, ModelError
from classifier.model import ThemeModel

__all__ = ["BodyLimit", "BodyTooLarge", "Loaded", "ModelHolder", "run_server"]

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
        from classifier.persist import load_model

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


class BodyTooLarge(HTTPException):
    """A request body over the limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes; send "
                              "fewer texts per request or start the server with a larger "
                              "--max-body-bytes")


class BodyLimit:
    """Pure ASGI middleware: 413 for bodies over ``max_bytes``, before anything parses them.

    A declared Content-Length over the limit is refused without reading the body; otherwise
    ``receive`` is wrapped to count the bytes as they arrive (chunked bodies included) and
    raises ``BodyTooLarge`` as soon as the count passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared < 0:
            await JSONResponse({"detail": "invalid Content-Length header"}, 400)(
                scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await _reply(BodyTooLarge(self.max_bytes), scope, receive, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            # Normally FastAPI turns it into the 413 response itself; this covers readers of
            # the body outside FastAPI's request parsing.
            if started:
                raise
            await _reply(exc, scope, receive, send)


async def _reply(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"detail": exc.detail}, exc.status_code)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when absent, -1 when malformed."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                n = int(value)
            except ValueError:
                return -1
            return n if n >= 0 else -1
    return None


def _quiet_exit(sig: int, frame: FrameType | None) -> None:
    """Uvicorn re-raises the stop signal after its graceful shutdown; swallowing it here lets
    ``run_server`` return normally (exit code 0) instead of dying by the signal."""


def run_server(*, host: str = "127.0.0.1", port: int = 8000, model: str = "default",
               workers: int = 1, max_body_bytes: int = 5 * 1024 * 1024,
               log_level: str = "info") -> None:
    """Serve the HTTP app until SIGTERM/SIGINT. Raises ModelError for a bad model (checked
    before binding the port) and InputError for bad settings or a server that fails to start.

    ``workers > 1`` uses uvicorn's multi-process mode: the app is built by the factory
    ``classifier.serve:create_app`` in each worker, which reads the model and body limit from
    the ``CLASSIFIER_MODEL`` / ``CLASSIFIER_MAX_BODY_BYTES`` environment variables set here.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from classifier.persist import load_model
    from classifier.serve import MAX_BODY_ENV, MODEL_ENV, create_app

    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if max_body_bytes < 1:
        raise InputError(f"max_body_bytes must be positive, got {max_body_bytes}")
    loaded = load_model(model)  # fail fast, with the model's own error message
    os.environ[MODEL_ENV] = model
    os.environ[MAX_BODY_ENV] = str(max_body_bytes)
    common: dict[str, Any] = {"host": host, "port": port, "log_level": log_level,
                              "ws": "none", "lifespan": "on", "timeout_graceful_shutdown": 30}
    saved = {sig: signal.signal(sig, _quiet_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if workers == 1:
            app = create_app(model, max_body_bytes=max_body_bytes,
                             holder=ModelHolder(model, loaded))
            server = uvicorn.Server(uvicorn.Config(app, **common))
            server.run()
            started = server.started
        else:
            del loaded  # the master only supervises; each worker loads its own copy
            config = uvicorn.Config("classifier.serve:create_app", factory=True,
                                    workers=workers, **common)
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            started = True
    except SystemExit as exc:  # uvicorn exits the process when it cannot bind or start
        started = False
        log.debug("uvicorn exited with %s", exc.code)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    if not started:
        raise InputError(f"the server could not start on {host}:{port}; see the log above "
                         "(address in use, or a port that needs privileges?)")
