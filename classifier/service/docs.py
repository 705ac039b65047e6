"""API docs pages that work offline: Swagger UI at ``/docs`` and ReDoc at ``/redoc``, with the
files of the fastapi-offline package served at ``/docs-static`` (no CDN). The service and the
review page both use it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["add_offline_docs"]


def _docs_static() -> Path:
    """The Swagger UI and ReDoc files shipped by the fastapi-offline package."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


# The doc pages may load nothing from another host: ReDoc's bundle still links its logo on a
# CDN, which a browser offline would try (and fail) to fetch. The pages' own start-up scripts
# are inline; ReDoc's search runs in a blob: worker.
_DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
             "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
             "worker-src 'self' blob:; connect-src 'self'")


def add_offline_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs`` and ``/redoc`` for ``app`` from local files; make the app with
    ``docs_url=None, redoc_url=None`` so that these replace FastAPI's CDN pages."""
    app.mount("/docs-static", StaticFiles(directory=_docs_static()), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{title}: API docs",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon.png")
        page.headers["Content-Security-Policy"] = _DOCS_CSP
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url="/openapi.json", title=f"{title}: API reference",
                              redoc_js_url="/docs-static/redoc.standalone.js",
                              redoc_favicon_url="/docs-static/favicon.png",
                              with_google_fonts=False)
        page.headers["Content-Security-Policy"] = _DOCS_CSP
        return page
