"""Time limits for clients that send slowly: a connection may not hold the server by trickling its request.

uvicorn limits the idle time between requests (`--timeout-keep-alive`) but not the time a request's headers take
to arrive, nor the pauses within its body: 100 connections sending a header byte now and then, or a body byte
now and then, were each held for as long as the client liked. Two limits, both answered 408 with a refusal's JSON
(graph/refusals.py) and the connection closed:

- `SlowHeadersProtocol`, uvicorn's httptools protocol with a deadline (`HEADER_READ_TIMEOUT_SECONDS`) from the
  connection's start, or from a request's first byte, to the end of its headers. Served by
  `uvicorn --http graph.slow_clients:SlowHeadersProtocol` (core/devrun.py, Dockerfile).
- `SlowBodyGuard`, a body guard of the request middleware (graph/observed.py): while a request's body is
  incomplete, each wait for its next chunk may last at most `BODY_READ_TIMEOUT_SECONDS` (an idle limit, as nginx's
  `client_body_timeout`), and once that much time has passed the body must have come at `BODY_MIN_BYTES_PER_SECOND`
  on average (as Apache's `mod_reqtimeout` MinRate): a byte a second never pauses long enough for the idle limit,
  and a 1 GB upload on a slow but real link still goes through.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive, Scope
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.settings import get_settings
from graph.refusals import RefusedBody, refusal, refusal_body

logger = logging.getLogger("graph.slow_clients")

REQUEST_TIMEOUT = 408


class SlowHeadersProtocol(HttpToolsProtocol):
    # uvicorn makes the protocol itself, with its own arguments: the limit comes from the settings, unless a
    # subclass sets it.
    header_timeout: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.header_timeout is None:
            self.header_timeout = get_settings().header_read_timeout_seconds
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a keep-alive connection's next request: its headers get the same time

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_deadline is None and self.header_timeout:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        logger.info("Closed a connection whose request headers took longer than %g s", self.header_timeout)
        body = refusal_body(REQUEST_TIMEOUT, f"The request headers took longer than {self.header_timeout:g} s")
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        self.transport.close()


class BodyReadTimeout(RefusedBody):
    """Raised from `receive` when a body pauses too long or comes too slowly; answered 408 with the message."""

    def answer(self) -> Response:
        logger.info("Refused a slow request body: %s", self)
        return refusal(REQUEST_TIMEOUT, str(self), headers={"Connection": "close"})


class SlowBodyGuard:
    """The two limits on the wait for a request's body, a body guard of the request middleware (graph/observed.py),
    which answers a BodyReadTimeout its `receive` raises."""

    def __init__(self, *, idle_timeout_seconds: float, min_bytes_per_second: int) -> None:
        self.idle_timeout = idle_timeout_seconds or None
        self.min_rate = min_bytes_per_second

    def guard(self, scope: Scope, headers: Headers, receive: Receive) -> Receive:
        """The `receive` that times each wait for the body's next chunk (`receive` itself without a limit)."""
        if self.idle_timeout is None:
            return receive
        idle_timeout = self.idle_timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        received = 0
        body_complete = False

        async def timed_receive() -> Message:
            nonlocal body_complete, received
            if body_complete:
                # After the body, `receive` waits for the client to disconnect, which may rightly take long.
                return await receive()
            try:
                async with asyncio.timeout(idle_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyReadTimeout(f"The request body stalled: nothing came for {idle_timeout:g} s") from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
                return message
            received += len(message.get("body", b""))
            elapsed = loop.time() - started
            if elapsed > idle_timeout and received < self.min_rate * elapsed:
                raise BodyReadTimeout(f"The request body came slower than {self.min_rate} bytes a second")
            return message

        return timed_receive
