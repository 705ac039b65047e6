"""Request limits of the HTTP service: the body-size middleware (413 before parsing)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyTooLarge"]


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
