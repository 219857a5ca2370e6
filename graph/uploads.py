"""Guards in front of GraphQL multipart (upload) requests: CSRF headers and a streaming body cap.

Multipart forms are "simple" requests a browser sends cross-site without a preflight, so, as Apollo Server
does, an upload must carry a header no plain form can set. The body cap is enforced while the body streams in,
before anything is parsed or stored.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")


class _BodyTooLarge(Exception):
    pass


def _error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})


class UploadGuard:
    def __init__(self, app: ASGIApp, *, path: str, max_body_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        if not any(headers.get(name, "").strip() for name in CSRF_HEADERS):
            message = "Uploads must send a non-empty Apollo-Require-Preflight or X-Apollo-Operation-Name header"
            await _respond(send, 400, _error_body(message, "BAD_REQUEST"))
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _respond(send, 413, self._too_large())
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _respond(send, 413, self._too_large())

    def _too_large(self) -> bytes:
        limit_mb = self.max_body_bytes / (1024 * 1024)
        return _error_body(f"Request body exceeds {limit_mb:.0f} MB", "PAYLOAD_TOO_LARGE")


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
