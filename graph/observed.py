"""The one middleware in front of the app: a request id for every request, the body guards, and a report of every
GraphQL request.

X-Request-ID is taken from the request when it is well formed (1 to 128 of `A-Z a-z 0-9 . _ -`: safe in a log
line and a header), else made (a uuid4's hex), bound to every log line logged while the request is handled
(core/logs.py), and sent back on every response: /graphql, /healthz, /metrics, media, refusals, and the
websocket handshake.

A request to /graphql whose answer is GraphQL (JSON) gets one log line and its metrics (graph/request_records.py)
once its last byte is sent, with the operation the operation pipeline saw; a request answered without running one
(a refusal: not JSON, too large, a timeout, a syntax error) has its error codes read from the small JSON answer.
Websocket connections are counted while they are open.

The body guards (graph/slow_clients.py, graph/uploads.py) each wrap the `receive` the app reads an HTTP request's
body through, and may refuse a request before it runs; a guard's `receive` stops a body by raising a RefusedBody,
answered here unless the response has begun. They were middlewares of their own, each with its call, its own
tracking of the response's start around every `send` and its own parse of the headers, on every request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Protocol

import orjson
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import log_fields
from graph.errors import INTERNAL_MESSAGE
from graph.metrics import WEBSOCKETS_OPEN
from graph.refusals import RefusedBody, refusal
from graph.request_records import RequestRecord, current_request, report

logger = logging.getLogger("graph.observed")

REQUEST_ID_HEADER = "x-request-id"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# A refusal's answer is a few hundred bytes; a larger answer without an operation is not read for codes.
REFUSAL_READ_LIMIT = 64 * 1024
JSON = b"application/json"


def request_id(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER)
    if given is not None and _WELL_FORMED_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class BodyGuard(Protocol):
    def guard(self, scope: Scope, headers: Headers, receive: Receive) -> Receive | Response:
        """The `receive` an HTTP request's body is read through (`receive` itself, or one that raises a RefusedBody
        to stop it), or the refusal sent without running the app."""


class ObservedRequests:
    def __init__(self, app: ASGIApp, *, graphql_path: str, body_guards: Sequence[BodyGuard] = ()) -> None:
        self.app = app
        self.graphql_path = graphql_path
        self.body_guards = tuple(body_guards)  # in order: each wraps the `receive` of the one before

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        identifier = request_id(headers)
        with log_fields(request_id=identifier):
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, identifier)
            else:
                await self._http(scope, receive, send, headers, identifier)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, identifier: str) -> None:
        accepted = False

        async def accepting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept":
                message = {**message, "headers": [*message.get("headers", ()), _header(identifier)]}
                accepted = True
                WEBSOCKETS_OPEN.inc()
            await send(message)

        try:
            await self.app(scope, receive, accepting_send)
        finally:
            if accepted:
                WEBSOCKETS_OPEN.dec()

    async def _http(self, scope: Scope, receive: Receive, send: Send, headers: Headers, identifier: str) -> None:
        graphql = scope["path"] == self.graphql_path
        record = RequestRecord() if graphql else None
        exchange = _Exchange(send, identifier, record)
        token = current_request.set(record) if record is not None else None
        started = time.perf_counter()
        try:
            await self._guarded(scope, receive, exchange.send, headers)
        except RefusedBody as refused:
            if exchange.status is not None:
                raise  # the answer has begun: the connection just ends
            await refused.answer()(scope, receive, exchange.send)
        except Exception:
            if exchange.status is not None:
                raise  # the answer has begun: nothing more can be said, the connection just ends
            # Still an answer with the request id, and the traceback logged with it.
            logger.exception("Unexpected error while handling %s %s", scope["method"], scope["path"])
            await refusal(500, INTERNAL_MESSAGE)(scope, receive, exchange.send)
        finally:
            if token is not None:
                current_request.reset(token)
        if record is not None and (record.operation is not None or exchange.json):
            codes = record.operation.error_codes if record.operation else exchange.error_codes()
            report(record.operation, seconds=time.perf_counter() - started, status=exchange.status, error_codes=codes)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """The app, reading the body through the guards, unless one refuses the request first."""
        for body_guard in self.body_guards:
            guarded = body_guard.guard(scope, headers, receive)
            if isinstance(guarded, Response):
                await guarded(scope, receive, send)
                return
            receive = guarded
        await self.app(scope, receive, send)


class _Exchange:
    """The response as it is sent: the request id added to its headers, its status, and (for an answer that
    may be a refusal) its JSON body."""

    def __init__(self, send: Send, identifier: str, record: RequestRecord | None) -> None:
        self._send = send
        self.identifier = identifier
        self.record = record
        self.status: int | None = None
        self.json = False
        self.body: bytearray | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = [(name, value) for name, value in message.get("headers", ()) if name != b"x-request-id"]
            content_type = next((value for name, value in headers if name == b"content-type"), b"")
            self.json = content_type.startswith(JSON)
            # Read only when no operation ran: an operation's answer may be large, and the pipeline has its codes.
            unexplained = self.record is not None and self.record.operation is None
            self.body = bytearray() if self.json and unexplained else None
            message = {**message, "headers": [*headers, _header(self.identifier)]}
        elif message["type"] == "http.response.body" and self.body is not None:
            self.body += message.get("body", b"")
            if len(self.body) > REFUSAL_READ_LIMIT:
                self.body = None
        await self._send(message)

    def error_codes(self) -> list[str]:
        if self.body is None:
            return []
        try:
            answer = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return []
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if not isinstance(errors, list):
            return []
        return [str((error.get("extensions") or {}).get("code")) for error in errors if isinstance(error, dict)]


def _header(identifier: str) -> tuple[bytes, bytes]:
    return (REQUEST_ID_HEADER.encode(), identifier.encode())
