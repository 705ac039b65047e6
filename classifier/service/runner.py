"""Running the HTTP service under uvicorn: settings, workers and stop signals.

Processes (issue 14, docs/SERVE_BENCH.md): by default one uvicorn process serves HTTP (with
httptools and uvloop) and hands the analysis to one process per usable core
(``service/pool``); ``processes`` (or ``CLASSIFIER_PROCESSES``) sets their number, 0 analyzes
in a thread of the server. With ``workers > 1`` each uvicorn worker analyzes in a thread of its
own (uvicorn's workers keep each keep-alive connection where it was accepted, so load spreads
unevenly over them; the analysis processes take jobs from one queue).

Signals (see docs/SERVE_BENCH.md for the multi-worker story):

- SIGHUP to a worker process reloads its model in place (installed in the app's lifespan with
  ``loop.add_signal_handler``, beside uvicorn's own SIGINT/SIGTERM handlers). With
  ``workers > 1`` the uvicorn master handles SIGHUP itself by replacing its workers one at a
  time, each new worker loading the model afresh; ``POST /admin/reload`` to any worker checks
  the model and sends that SIGHUP to the master. A new worker has ``WORKER_START_TIMEOUT``
  seconds to load the model (uvicorn's default, 5 s, is too short on a busy machine: the
  restart was abandoned and the old workers kept serving, issue 15, item 28).
- Keep-alive connections to a worker being replaced: a request in progress is answered (with
  ``Connection: close``); an idle connection is closed. A request a client sends on such a
  connection at the very moment it closes fails without any answer (connection reset, broken
  pipe, "server disconnected without sending a response"): it was not processed, and every
  endpoint is safe to send again, so clients retry such a request once on a new connection
  (README, "Reloading"; tested in tests/test_hardening_service.py).
- Slow clients: request headers must arrive within ``limits.HEADER_TIMEOUT`` seconds, body
  pieces within ``limits.BODY_TIMEOUT`` of each other (408); idle keep-alive connections close
  after 5 s.
- SIGTERM/SIGINT: uvicorn finishes requests in flight and stops; ``run_server`` then returns
  normally, so ``classifier serve`` exits with code 0. The analysis processes ignore these
  signals (Ctrl-C and service managers signal the whole group) and end when the server closes
  their sockets, after its last answer; if the server is killed, they end with it.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType
from typing import Any

from classifier.errors import OptionError, ServiceError
from classifier.service.app import MASTER_ENV, MAX_BODY_ENV, MODEL_ENV, WORKERS_ENV, create_app
from classifier.service.holder import ModelHolder
from classifier.service.limits import HeaderTimeoutProtocol
from classifier.service.pool import PROCESSES_ENV

__all__ = ["WORKER_START_TIMEOUT", "run_server"]

log = logging.getLogger("uvicorn.error")
WORKER_START_TIMEOUT = 120  # seconds for a new worker to load the model and warm up


def _quiet_exit(sig: int, frame: FrameType | None) -> None:
    """Uvicorn re-raises the stop signal after its graceful shutdown; swallowing it here lets
    ``run_server`` return normally (exit code 0) instead of dying by the signal."""


def run_server(*, host: str = "127.0.0.1", port: int = 8000, model: str = "default",
               workers: int = 1, max_body_bytes: int = 5 * 1024 * 1024,
               log_level: str = "info", processes: int | None = None) -> None:
    """Serve the HTTP app until SIGTERM/SIGINT. Raises ModelError for a bad model (checked
    before binding the port), OptionError for bad settings and ServiceError for a server that
    fails to start.

    ``workers > 1`` uses uvicorn's multi-process mode: the app is built by the factory
    ``classifier.service.app:create_app`` in each worker, which reads the model and body limit from
    the ``CLASSIFIER_MODEL`` / ``CLASSIFIER_MAX_BODY_BYTES`` environment variables set here.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from classifier.model.store import load_model

    if workers < 1:
        raise OptionError(f"workers must be at least 1, got {workers}")
    if max_body_bytes < 1:
        raise OptionError(f"max_body_bytes must be at least 1, got {max_body_bytes}")
    if processes is not None and processes < 0:
        raise OptionError(f"processes must be 0 or more (0: analyze in a thread of the "
                          f"server), got {processes}")
    loaded = load_model(model)  # fail fast, with the model's own error message
    os.environ[MODEL_ENV] = model
    os.environ[MAX_BODY_ENV] = str(max_body_bytes)
    os.environ[WORKERS_ENV] = str(workers)
    os.environ[MASTER_ENV] = str(os.getpid())
    if processes is not None:
        os.environ[PROCESSES_ENV] = str(processes)
    common: dict[str, Any] = {"host": host, "port": port, "log_level": log_level,
                              "ws": "none", "lifespan": "on", "timeout_graceful_shutdown": 30,
                              # httptools (C parser) with header limits; "auto": uvloop
                              "http": HeaderTimeoutProtocol, "loop": "auto",
                              "timeout_keep_alive": 5,
                              "timeout_worker_healthcheck": WORKER_START_TIMEOUT}
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
            config = uvicorn.Config("classifier.service.app:create_app", factory=True,
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
        raise ServiceError(f"the server could not start on {host}:{port}; see the log above "
                         "(address in use, or a port that needs privileges?)")
