"""Guards in front of `POST /graphql`: CSRF headers on uploads and a streaming cap on every body.

Multipart forms are "simple" requests a browser sends cross-site without a preflight, so, as Apollo Server
does, an upload must carry a header no plain form can set. The body cap is enforced while the body streams in,
before anything is parsed or stored: a JSON request may be at most `request_max_bytes` (a document and its
variables), a multipart (upload) request at most `upload_max_bytes` (each mutation then applies its own limit).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.refusals import refusal, refusing_on

CSRF_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


class BodyTooLarge(Exception):
    """Raised from the body's `receive` once it passes the cap; the guard answers 413 when it comes back out."""


class RequestGuard:
    def __init__(self, app: ASGIApp, *, path: str, request_max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.request_max_bytes = request_max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.request_max_bytes
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            if not any(headers.get(name, "").strip() for name in CSRF_HEADERS):
                message = "Uploads must send a non-empty Apollo-Require-Preflight or X-Apollo-Operation-Name header"
                await refusal(400, message)(scope, receive, send)
                return
            limit = self.upload_max_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        await refusing_on(self.app, scope, counting_receive, send, BodyTooLarge, lambda _: _too_large(limit))


def _too_large(limit: int) -> Response:
    return refusal(413, f"Request body exceeds {_size(limit)}")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MB"
    return f"{limit / 1024:.0f} KB"
