"""Request limits of the HTTP service: body size (413 before parsing) and time.

Slow clients (issue 15, item 16): uvicorn times out idle keep-alive connections but not a
client that sends its request slowly. ``HeaderTimeoutProtocol`` closes a connection whose
request line and headers are not complete ``HEADER_TIMEOUT`` seconds after it opened (or
after its previous response); ``BodyLimit`` answers 408 when the body stalls for
``BODY_TIMEOUT`` seconds between two reads.

The protocol is uvicorn's ``httptools`` one (llhttp, in C; issue 14: uvicorn's pure-Python
``h11`` parser cost a tenth of each request's time in the event loop). h11 refused a request
head over 16 KB with a 400; llhttp sets no limit of its own, so ``HeaderTimeoutProtocol`` keeps
that one (``MAX_HEAD_BYTES``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["BODY_TIMEOUT", "HEADER_TIMEOUT", "MAX_HEAD_BYTES", "BodyLimit", "BodyTimeout",
           "BodyTooLarge", "HeaderTimeoutProtocol"]

# Seconds a client gets to send a request's headers, and between two pieces of its body;
# generous for any real client on a slow link, short enough that idle sockets cannot pile up.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
# Request line + headers: h11's limit (uvicorn's default with h11), kept with httptools.
MAX_HEAD_BYTES = 16 * 1024


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), plus a deadline and a size limit for each
    request's line and headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_done = False  # the current request's headers are complete
        self._head_bytes = 0  # bytes received while they were not

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._head_done and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")

    def on_headers_complete(self) -> None:
        self._head_done = True
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or
                                                self.cycle.response_complete):
            # The next request on this connection gets its own deadline and limit (a request
            # sent ahead, pipelined, has its headers complete already).
            self._head_done = False
            self._head_bytes = 0
            self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._header_timeout)

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self._head_done and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took over %.0f s",
                             HEADER_TIMEOUT)
            self.transport.close()


class BodyTooLarge(HTTPException):
    """A request body over the limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes; send "
                              "fewer texts per request or start the server with a larger "
                              "--max-body-bytes")


class BodyTimeout(HTTPException):
    """A request body that stalled (HTTP 408)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body stalled for {seconds:.0f} s; send it at once")


class BodyLimit:
    """Pure ASGI middleware: 413 for bodies over ``max_bytes``, before anything parses them,
    and 408 for a body that stalls for ``BODY_TIMEOUT`` seconds.

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
        body_done = False

        async def limited_receive() -> Message:
            nonlocal seen, body_done
            if body_done:  # after the body, receive() waits for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), BODY_TIMEOUT)
            except asyncio.TimeoutError:
                raise BodyTimeout(BODY_TIMEOUT) from None
            body_done = not message.get("more_body", False)
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
        except (BodyTooLarge, BodyTimeout) as exc:
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
