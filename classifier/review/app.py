"""The review page: FastAPI, one server-rendered template, one small script, all served locally.

``create_review_app(session)`` builds the app; ``serve_review`` runs it under uvicorn.

- ``GET /``: the page (the first article rendered on the server; the script takes over).
- ``GET /api/queue?n=K``: the next K articles in suggestion order, never a saved one.
- ``POST /api/labels`` ``{"id", "labels"}``: appends one line to the corrections file and
  syncs it before answering 200; an unknown theme is 422, an unknown id 404.
- ``POST /api/skip`` ``{"id"}``, ``POST /api/undo``: skip to the end of the queue; remove the
  last saved line (its article comes back first).
- ``POST /api/retrain`` / ``GET /api/retrain``: ``classifier train CORRECTIONS --base MODEL``
  in a child process, and its result.
- ``GET /api/themes``: the themes with their keys and the page's own keys.

Nothing is fetched from elsewhere: the template, script and style ship in the package
(``templates/``, ``static/``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from classifier.errors import ClassifierError, InputError, OptionError, ServiceError
from classifier.review.session import MAX_QUEUE, PAGE_KEYS, ReviewSession
from classifier.service.docs import add_offline_docs
from classifier.service.limits import BodyLimit

__all__ = ["DEFAULT_MAX_BODY_BYTES", "LabelsRequest", "SkipRequest", "create_review_app",
           "serve_review"]

log = logging.getLogger("uvicorn.error")
HERE = Path(__file__).resolve().parent
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Articles the page holds ahead of the one on screen (the next one is preloaded).
PRELOAD = 3


class LabelsRequest(BaseModel):
    """A correction: the article's id and the themes it has (possibly none)."""

    model_config = ConfigDict(extra="forbid")

    id: StrictStr = Field(..., description="An id from GET /api/queue.")
    labels: list[StrictStr] = Field(..., max_length=1000,
                                    description="Theme ids (GET /api/themes); [] for none.")


class SkipRequest(BaseModel):
    """An article to move to the end of the queue."""

    model_config = ConfigDict(extra="forbid")

    id: StrictStr = Field(..., description="An id from GET /api/queue.")


def _segments(text: str, marks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(piece, themes) pieces of the text for the template; themes "" outside a mark."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in marks:
        if m["start"] > pos:
            out.append((text[pos:m["start"]], ""))
        out.append((text[m["start"]:m["end"]], " ".join(m["themes"])))
        pos = m["end"]
    if pos < len(text):
        out.append((text[pos:], ""))
    return out


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    session: ReviewSession = app.state.session
    try:
        yield
    finally:
        session.retrainer.stop()
        session.corrections.close()


def _error(status: int, exc: ClassifierError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status)


def create_review_app(session: ReviewSession, *,
                      max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The review app over a ready session (model loaded, queue ranked)."""
    app = FastAPI(title="classifier review", lifespan=_lifespan, docs_url=None,
                  redoc_url=None,
                  description="Review the tagger's themes one article at a time; each save "
                              "appends one line to the corrections file.")
    app.state.session = session
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    add_offline_docs(app, "classifier review")

    def themes() -> list[dict[str, Any]]:
        names = {n["id"]: n for n in session.model.label_names()}
        return [{"id": lab, "key": session.keys.get(lab, ""), "zh": names[lab].get("zh", ""),
                 "en": names[lab].get("en", ""),
                 "threshold": round(float(session.model.thresholds[j]), 4)}
                for j, lab in enumerate(session.labels)]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        items = session.queue_items(1)
        first = items[0] if items else None
        return templates.TemplateResponse(request, "review.html", {
            "themes": themes(), "keys": PAGE_KEYS, "item": first,
            "segments": _segments(first["text"], first["marks"]) if first else [],
            "progress": session.progress(), "model": session.model_name,
            "out": str(session.corrections.path)})

    @app.get("/api/themes", summary="The themes with their keys, and the page's own keys")
    def api_themes() -> dict[str, Any]:
        return {"themes": themes(), "page_keys": PAGE_KEYS, "model": session.model_name}

    @app.get("/api/queue", summary="The next articles to review, in suggestion order",
             description="Saved articles never appear. Each item: id, title, text, summary, "
                         "scores (every theme), labels (the model's themes, best first), "
                         "evidence, marks (term spans in text: start, end, themes), why.")
    def api_queue(n: int = Query(PRELOAD, ge=0, le=MAX_QUEUE,
                                 description="How many articles.")) -> dict[str, Any]:
        return {"items": session.queue_items(n), **session.progress()}

    @app.post("/api/labels", summary="Save one article's themes",
              description="Appends {id, title, text, labels, model, saved_at} to the "
                          "corrections file and syncs it to disk before answering.",
              responses={404: {"description": "Unknown article id"},
                         422: {"description": "Unknown theme or malformed body"}})
    def api_labels(body: LabelsRequest) -> Any:
        try:
            record = session.save(body.id, body.labels)
        except OptionError as exc:
            return JSONResponse({"detail": [{"type": "value_error", "loc": ["body", "labels"],
                                             "msg": str(exc), "input": body.labels}]},
                                status_code=422)
        except InputError as exc:
            return _error(404, exc)
        except ClassifierError as exc:
            return _error(500, exc)
        return {"record": {"id": record["id"], "labels": record["labels"],
                          "saved_at": record["saved_at"]}, **session.progress()}

    @app.post("/api/skip", summary="Move an article to the end of the queue",
              responses={404: {"description": "Id not in the queue"}})
    def api_skip(body: SkipRequest) -> Any:
        try:
            session.skip(body.id)
        except InputError as exc:
            return _error(404, exc)
        return session.progress()

    @app.post("/api/undo", summary="Remove the last saved line; its article comes back first")
    def api_undo() -> Any:
        try:
            undone = session.undo()
        except ClassifierError as exc:
            return _error(409, exc)
        return {"undone": undone, **session.progress()}

    @app.post("/api/retrain", status_code=202,
              summary="Retrain: classifier train CORRECTIONS --base MODEL --out NEW",
              responses={409: {"description": "No corrections yet"}})
    def api_retrain() -> Any:
        try:
            return session.retrainer.start()
        except ServiceError as exc:
            return _error(409, exc)
        except ClassifierError as exc:
            return _error(500, exc)

    @app.get("/api/retrain", summary="State of the last retrain and its cross-validated F1")
    def api_retrain_status() -> dict[str, Any]:
        return session.retrainer.status()

    return app


def serve_review(session: ReviewSession, *, host: str = "127.0.0.1", port: int = 8000,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """Run the review app under uvicorn until Ctrl-C or SIGTERM (saved lines are on disk)."""
    import uvicorn

    app = create_review_app(session, max_body_bytes=max_body_bytes)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    except (OSError, SystemExit) as exc:
        raise ServiceError(f"cannot serve on {host}:{port} ({exc}); choose another --port"
                           ) from exc
