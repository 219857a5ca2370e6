"""Guards in front of `POST /graphql`: CSRF headers on uploads and a streaming cap on every body.

Multipart forms are "simple" requests a browser sends cross-site without a preflight, so, as Apollo Server
does, an upload must carry a header no plain form can set. The body cap is enforced while the body streams in,
before anything is parsed or stored: a JSON request may be at most `request_max_bytes` (a document and its
variables), a multipart (upload) request at most `upload_max_bytes` (each mutation then applies its own limit).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

from graph.refusals import RefusedBody, refusal

CSRF_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


class BodyTooLarge(RefusedBody):
    """Raised from the body's `receive` once it passes the cap; answered 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body passed {limit} bytes")
        self.limit = limit

    def answer(self) -> Response:
        return _too_large(self.limit)


class RequestGuard:
    """The checks of `POST path`, a body guard of the request middleware (graph/observed.py), which sends what
    `guard` refuses and answers a BodyTooLarge its `receive` raises."""

    def __init__(self, *, path: str, request_max_bytes: int, upload_max_bytes: int) -> None:
        self.path = path
        self.request_max_bytes = request_max_bytes
        self.upload_max_bytes = upload_max_bytes

    def guard(self, scope: Scope, headers: Headers, receive: Receive) -> Receive | Response:
        """The `receive` that counts the body of a `POST path` against its cap (`receive` itself for any other
        request), or the refusal to send at once (an upload without a CSRF header, a declared length over the cap)."""
        if scope["method"] != "POST" or scope["path"] != self.path:
            return receive
        limit = self.request_max_bytes
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            if not any(headers.get(name, "").strip() for name in CSRF_HEADERS):
                message = "Uploads must send a non-empty Apollo-Require-Preflight or X-Apollo-Operation-Name header"
                return refusal(400, message)
            limit = self.upload_max_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _too_large(limit)

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return counting_receive


def _too_large(limit: int) -> Response:
    return refusal(413, f"Request body exceeds {_size(limit)}")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MB"
    return f"{limit / 1024:.0f} KB"
