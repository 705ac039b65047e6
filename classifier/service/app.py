"""HTTP service: FastAPI app factory with the classify/summarize/themes/model/health endpoints.

``create_app()`` builds the app; ``classifier.service.runner.run_server`` runs it under
uvicorn; the reloadable model lives in ``classifier.service.holder`` and the body-size
middleware in ``classifier.service.limits``.
Behaviour (issue 6):

- The model loads once per worker process, in the app's lifespan startup.
- ``/classify`` and ``/summarize`` (issue 14) are ``async`` endpoints that never analyze on
  the event loop: they cut the validated request into jobs (``service/jobs``) and await the
  answer of the analysis processes (``service/pool``: one per core, taking jobs in arrival
  order; or one thread, one job at a time). The jobs return the records already encoded, so
  the endpoints return the bytes as they are: no second trip through the threadpool to
  validate and encode a ``dict`` answer, and the documented response stays
  ``dict[str, Any]`` (``response_model``).
- Reload (SIGHUP, or ``POST /admin/reload`` from a loopback client with a JSON content type,
  so no cross-site form can trigger it) loads and validates the new model fully and tries it
  on one sentence, then swaps one reference; requests in flight keep the object they started
  with. A failed reload keeps the old model, counts the failure and shows the reason in
  ``/health``. With several workers, ``/admin/reload`` checks the model the same way and
  then asks the uvicorn master (SIGHUP) to replace every worker (202).
- Validation errors are 422 with the field named, even for values JSON cannot echo back
  (NaN, lone surrogates); a lone surrogate in ``text``/``texts``/``title`` is refused.
- ``/docs`` and ``/redoc`` use the Swagger UI and ReDoc files of the fastapi-offline package,
  served from ``/docs-static``: no CDN.
- Bodies over ``max_body_bytes`` get 413 before parsing (``BodyLimit``, a pure ASGI middleware).
- Empty text is not an error: an article with neither title nor text is left out, so an empty
  ``text`` gives ``{"articles": []}``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from classifier.errors import ClassifierError, InputError, UsageError
from classifier.labelling.options import LIMITS
from classifier.service.docs import add_offline_docs
from classifier.service.holder import ModelHolder
from classifier.service.jobs import make_jobs
from classifier.service.limits import BodyLimit
from classifier.service.pool import Analyzer, default_processes

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_BODY_ENV",
    "MODEL_ENV",
    "ClassifyRequest",
    "SummarizeRequest",
    "create_app",
    "is_loopback",
]

# uvicorn configures this logger to stderr; our reload messages belong in the same server log.
log = logging.getLogger("uvicorn.error")

MODEL_ENV = "CLASSIFIER_MODEL"
MAX_BODY_ENV = "CLASSIFIER_MAX_BODY_BYTES"
# Set by the runner with --workers > 1: the uvicorn master's pid and the number of workers,
# so /admin/reload can ask the master to replace every worker.
MASTER_ENV = "CLASSIFIER_MASTER_PID"
WORKERS_ENV = "CLASSIFIER_WORKERS"
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_TEXTS = 1000


class _Input(BaseModel):
    """Fields shared by /classify and /summarize: one text or a list of texts."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr | None = Field(None, description="One page or article of text.")
    texts: list[StrictStr] | None = Field(
        None, max_length=MAX_TEXTS, description="Several texts, each handled like `text`.")
    title: StrictStr | None = Field(
        None, description="Title of `text`; a titled text is one article (never split).")
    split: StrictBool = Field(True, description="Split a page into its articles.")
    # Bounds come from the library's own table, so the schema and ``Options`` agree.
    sentences: int = Field(3, ge=LIMITS["sentences"][0], le=LIMITS["sentences"][1], strict=True,
                           description="Summary: at most this many sentences.")
    max_chars: int = Field(150, ge=LIMITS["max_chars"][0], le=LIMITS["max_chars"][1],
                           strict=True, description="Summary: at most this many characters.")
    method: Literal["lead", "textrank"] = Field("lead", description="Summary method.")
    keywords: int = Field(5, ge=LIMITS["keywords"][0], le=LIMITS["keywords"][1], strict=True,
                          description="Keywords per article (0: none).")

    @field_validator("text", "title")
    @classmethod
    def _no_surrogate(cls, value: str | None) -> str | None:
        if value is not None:
            _refuse_surrogates(value)
        return value

    @field_validator("texts")
    @classmethod
    def _no_surrogates(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            _refuse_surrogates(item)
        return value

    @model_validator(mode="after")
    def _one_input(self) -> _Input:
        if (self.text is None) == (self.texts is None):
            raise ValueError('give exactly one of "text" (a string) or "texts" (a list of '
                             'strings)')
        if self.title is not None and self.texts is not None:
            raise ValueError('"title" goes with "text", not with "texts"')
        return self


class ClassifyRequest(_Input):
    """Body of POST /classify (the summary options shape each record's ``summary``)."""

    top_terms: int = Field(5, ge=LIMITS["top_terms"][0], le=LIMITS["top_terms"][1],
                           strict=True, description="Evidence terms per theme.")
    explain_unassigned: int = Field(
        0, ge=LIMITS["explain_unassigned"][0], le=LIMITS["explain_unassigned"][1], strict=True,
        description="Evidence also for this many best-scoring themes that were not assigned "
                    "(what raised a near miss); 0: assigned themes only.")


class SummarizeRequest(_Input):
    """Body of POST /summarize."""


def _refuse_surrogates(value: str) -> None:
    """A lone surrogate (``"\\ud800"`` in JSON) cannot be cut into words or written as
    UTF-8: refuse it as a validation error (422, naming the field)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"holds a lone surrogate (U+{ord(value[exc.start]):04X}) at "
                         f"character {exc.start}; send valid Unicode text") from None


def _echoable(value: Any) -> Any:
    """``value`` made JSON-safe for an error message: NaN and infinities become strings, lone
    surrogates are escaped (the 422 must not itself fail to render)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_echoable(k): _echoable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_echoable(v) for v in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": _echoable(jsonable_encoder(errors))}, status_code=422)


def is_loopback(host: str | None) -> bool:
    """Whether a client address is a loopback address (127.0.0.0/8, ::1)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warm_up(holder: ModelHolder) -> None:
    """Classify one sentence so the segmenter and normalizer load at startup (about a second),
    not in the first client's request (when this process analyzes: ``processes=0``)."""
    from classifier.labelling.analysis import analyze
    from classifier.text.reader import articles_from_text

    analyze(articles_from_text("本报讯 职工技能大赛在广州举行。"), holder.model)


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _analyzer(request: Request) -> Analyzer:
    analyzer: Analyzer = request.app.state.analyzer
    return analyzer


def _sighup_handler(holder: ModelHolder, loop: asyncio.AbstractEventLoop,
                    pending: set[asyncio.Future[Any]]) -> None:
    """Run a reload in the threadpool; keep the future referenced until it is done."""
    log.info("SIGHUP: reloading model %s", holder.spec)
    future = loop.run_in_executor(None, holder.reload_logged)
    pending.add(future)
    future.add_done_callback(pending.discard)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    holder: ModelHolder = app.state.holder
    analyzer: Analyzer = app.state.analyzer
    loop = asyncio.get_running_loop()
    analyzer.bind(loop)
    if holder.current is None:
        await asyncio.to_thread(holder.load)  # starts the analysis workers too
    else:  # loaded up front by the runner: start the workers for that model
        await analyzer.swap(await asyncio.to_thread(analyzer.prepare, holder.spec,
                                                    holder.model))
    if analyzer.processes == 0:
        await asyncio.to_thread(_warm_up, holder)
        log.info("analyzing in a thread of this process [%d]", os.getpid())
    else:
        log.info("analyzing in %d processes %s", analyzer.processes, analyzer.pids)
    pending: set[asyncio.Future[Any]] = set()
    hup = getattr(signal, "SIGHUP", None)
    installed = False
    if hup is not None:
        try:
            # add_signal_handler only works in the main thread (as when uvicorn runs us);
            # uvicorn itself uses signal.signal for SIGINT/SIGTERM only, so the two coexist.
            loop.add_signal_handler(hup, _sighup_handler, holder, loop, pending)
            installed = True
        except (ValueError, RuntimeError, NotImplementedError):
            log.debug("SIGHUP reload not available here (not the main thread)")
    try:
        yield
    finally:
        if installed and hup is not None:
            loop.remove_signal_handler(hup)
        await analyzer.close()


def create_app(model: str | None = None, *, max_body_bytes: int | None = None,
               holder: ModelHolder | None = None, processes: int | None = None) -> FastAPI:
    """The HTTP app. Without arguments (uvicorn's factory mode) settings come from the
    ``CLASSIFIER_MODEL`` and ``CLASSIFIER_MAX_BODY_BYTES`` environment variables.

    ``holder`` may carry an already loaded model (single-process mode loads it once, up front).
    ``processes``: analysis processes (0: analyze in one thread of this process); by default
    one per usable core, or 0 with several uvicorn workers (``pool.default_processes``).
    """
    spec = model or os.environ.get(MODEL_ENV) or "default"
    limit = max_body_bytes if max_body_bytes is not None else int(
        os.environ.get(MAX_BODY_ENV) or DEFAULT_MAX_BODY_BYTES)
    app = FastAPI(title="classifier", lifespan=_lifespan, docs_url=None, redoc_url=None,
                  description="Theme tagging and lead summaries for Chinese trade-union news.")
    app.state.holder = holder or ModelHolder(spec)
    workers = int(os.environ.get(WORKERS_ENV) or 1)
    app.state.analyzer = Analyzer(default_processes(workers) if processes is None
                                  else processes)
    app.state.holder.analyzer = app.state.analyzer
    app.add_middleware(BodyLimit, max_bytes=limit)
    app.add_exception_handler(ClassifierError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    _routes(app)
    add_offline_docs(app, "classifier")
    return app


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, (InputError, UsageError)):
        # The shape of FastAPI's own validation errors: one error shape for every 422.
        detail = [{"type": "value_error", "loc": ["body"], "msg": str(exc), "input": None}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": str(exc)}, status_code=500)


def _routes(app: FastAPI) -> None:
    # The analysis endpoints only await the analysis workers (service/pool); what they return
    # is the encoded body, documented as the ``dict[str, Any]`` it encodes.
    @app.post("/classify", summary="Themes, scores, evidence, summary and keywords",
              response_model=dict[str, Any])
    async def classify(req: ClassifyRequest, request: Request) -> Response:
        options = {"top_terms": req.top_terms, "sentences": req.sentences,
                   "max_chars": req.max_chars, "method": req.method, "keywords": req.keywords,
                   "explain_unassigned": req.explain_unassigned}
        body = await _analyzer(request).run(make_jobs("classify", req, options))
        return Response(body, media_type="application/json")

    @app.post("/summarize", summary="Lead summary and keywords per article",
              response_model=dict[str, Any])
    async def summarize(req: SummarizeRequest, request: Request) -> Response:
        options = {"sentences": req.sentences, "max_chars": req.max_chars,
                   "method": req.method, "keywords": req.keywords}
        body = await _analyzer(request).run(make_jobs("summarize", req, options))
        return Response(body, media_type="application/json")

    # Cheap answers stay plain ``def`` endpoints (FastAPI's threadpool).
    @app.get("/themes", summary="The model's themes with Chinese and English names")
    def themes(request: Request) -> dict[str, Any]:
        return {"themes": _holder(request).model.label_names()}

    @app.get("/model", summary="The model's meta.json")
    def model_meta(request: Request) -> dict[str, Any]:
        return dict(_holder(request).model.meta)

    @app.get("/health", summary="Liveness, model name, label count, reload generation")
    async def health(request: Request) -> dict[str, Any]:
        return _holder(request).health()

    @app.post("/admin/reload", summary="Reload the model from disk (loopback clients only)",
              description="Send `Content-Type: application/json` (a body is optional). With "
                          "several workers the answer is 202: the model was checked and "
                          "every worker is being replaced by one that loads it.")
    def admin_reload(request: Request) -> JSONResponse:
        if not is_loopback(request.client.host if request.client else None):
            raise HTTPException(403, "model reload is only accepted from loopback clients")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            # A browser page on another site can POST a form to localhost, but cannot send
            # a JSON content type without a CORS preflight, which this server never grants.
            raise HTTPException(415, "send the reload request with Content-Type: "
                                     f"application/json (got {kind or 'none'!r})")
        holder = _holder(request)
        master = _master_pid()
        try:
            if master is None:
                holder.reload()
            else:
                holder.check()  # validate here, then let the master replace every worker
        except ClassifierError as exc:
            log.error("reload of %s failed, still serving generation %d: %s", holder.spec,
                      holder.generation, exc)
            raise HTTPException(500, f"reload failed, still serving generation "
                                     f"{holder.generation}: {exc}") from exc
        if master is None:
            return JSONResponse({**holder.health(), "status": "reloaded"})
        workers = int(os.environ.get(WORKERS_ENV) or 0)
        os.kill(master, signal.SIGHUP)
        log.info("reload: model %s checked; asked the master [%d] to replace its %d workers",
                 holder.spec, master, workers)
        return JSONResponse({
            **holder.health(), "status": "restarting", "workers": workers, "master_pid": master,
            "detail": f"the model was checked; all {workers} workers are being replaced one "
                      "by one, each loading it afresh (watch the pid and generation in "
                      "/health); a worker whose replacement fails to start keeps serving "
                      "the old model"}, status_code=202)


def _master_pid() -> int | None:
    """The uvicorn master's pid when this process is one of several workers."""
    raw = os.environ.get(MASTER_ENV)
    if not raw or not raw.isdigit() or int(os.environ.get(WORKERS_ENV) or 1) <= 1:
        return None
    pid = int(raw)
    return pid if pid == os.getppid() else None
