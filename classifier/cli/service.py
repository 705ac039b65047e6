"""The ``serve`` command: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer

from classifier.cli.common import EXIT_USAGE, ModelOpt, fail, warn
from classifier.errors import ClassifierError

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    model: ModelOpt = "default",
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="uvicorn worker processes (each loads the "
                          "model; with more than one, each analyzes in a thread).")
    ] = 1,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="Refuse larger request bodies (413).")
    ] = 5 * 1024 * 1024,
    processes: Annotated[
        int | None, typer.Option(
            "--processes", min=0, show_default="one per core",
            help="Analysis processes fed from one request queue (0: analyze in a thread of "
                 "the server; also CLASSIFIER_PROCESSES).")
    ] = None,
) -> None:
    """Run the HTTP service (POST /classify, /summarize; GET /themes, /model, /health; docs
    at /docs). Requests are analyzed in one process per core, in arrival order. SIGHUP or POST
    /admin/reload (loopback only, Content-Type: application/json) reloads the model, keeping
    the old one if the new one fails its checks; SIGTERM stops.

    **Example**

    ```
    classifier serve --port 8000
    ```
    """
    try:
        from classifier.service.runner import run_server
    except ModuleNotFoundError as exc:  # a broken install: fastapi/uvicorn are dependencies
        warn(f"error: the HTTP service needs the {exc.name or 'fastapi'} package, which is not "
             "installed: run `pip install classifier` again (or `pip install fastapi "
             "uvicorn fastapi-offline`)")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        run_server(host=host, port=port, model=model, workers=workers,
                   max_body_bytes=max_body_bytes, processes=processes)
    except ClassifierError as exc:
        fail(exc)
