"""Slow clients (graph/slow_clients.py): request headers have a deadline and a body may not stall, each answered
408 with a refusal's JSON and the connection closed; a slow but steady body still goes through.

Real sockets against the app served by uvicorn with the project's protocol, as `make run` serves it, with limits
of half a second instead of ten, and a minimum body rate of 5 bytes a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
import pytest

from core.settings import Settings
from graph.app import create_app
from graph.slow_clients import SlowHeadersProtocol
from tests.serving import served

LIMIT = 0.5
MIN_RATE = 5  # bytes a second, on average, once LIMIT has passed
# A guard against a hang, not a measurement: far longer than the limits under test.
NEVER = 30


class QuickHeadersProtocol(SlowHeadersProtocol):
    header_timeout = LIMIT


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, int]]:
    limits = {"body_read_timeout_seconds": LIMIT, "body_min_bytes_per_second": MIN_RATE}
    app = create_app(settings.model_copy(update=limits))
    try:
        async with served(app, http=QuickHeadersProtocol) as host:
            address, port = host.split(":")
            yield address, int(port)
    finally:
        await app.state.resources.close()


async def trickle_then_read(address: tuple[str, int], parts: list[bytes], pause: float) -> bytes:
    """Send each part after a pause, as long as the server listens; then everything it answered, to its close."""
    reader, writer = await asyncio.open_connection(*address)
    received: list[bytes] = []

    async def read_to_close() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received.append(chunk)

    reading = asyncio.create_task(read_to_close())
    try:
        async with asyncio.timeout(NEVER):
            for part in parts:
                if reading.done():
                    break  # the server answered and closed: nothing more to send
                writer.write(part)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                await asyncio.sleep(pause)
            await reading
    finally:
        reading.cancel()
        writer.close()
    return b"".join(received)


def refused_408(answer: bytes) -> dict[str, object]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", answer
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(b":") for line in header_lines)}
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"connection"] == b"close"
    [error] = orjson.loads(body)["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    return error  # type: ignore[no-any-return]


async def test_headers_that_trickle_in_are_cut_off(server: tuple[str, int]) -> None:
    head = b"POST /graphql HTTP/1.1\r\nHost: studio\r\n"
    trickled = [head] + [b"X-Slow: " + bytes([65 + i]) + b"\r\n" for i in range(100)]
    error = refused_408(await trickle_then_read(server, trickled, pause=0.1))
    assert error["message"] == f"The request headers took longer than {LIMIT:g} s"


async def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*server)
    try:
        async with asyncio.timeout(NEVER):
            refused_408(await reader.read())
    finally:
        writer.close()


async def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(server: tuple[str, int]) -> None:
    first = b"GET /healthz HTTP/1.1\r\nHost: studio\r\n\r\n"
    second = [b"GET /healthz HTTP/1.1\r\n"] + [b"X-Slow: a\r\n"] * 100
    answer = await trickle_then_read(server, [first, *second], pause=0.1)
    ok, _, rest = answer.partition(b"HTTP/1.1 408")
    assert ok.startswith(b"HTTP/1.1 200 OK"), answer
    refused_408(b"HTTP/1.1 408" + rest)


async def test_a_body_that_stalls_is_refused(server: tuple[str, int]) -> None:
    head = b"POST /graphql HTTP/1.1\r\nHost: studio\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    error = refused_408(await trickle_then_read(server, [head, b'{"query": '], pause=LIMIT * 4))
    assert error["message"] == f"The request body stalled: nothing came for {LIMIT:g} s"


async def test_a_slow_but_steady_body_goes_through(server: tuple[str, int]) -> None:
    body = b'{"query": "{ __typename }"}'
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: studio\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    # Ten bytes a second: the body takes far longer than the idle limit, never pauses that long, and comes faster
    # than the minimum rate.
    answer = await trickle_then_read(server, [head, *(bytes([byte]) for byte in body)], pause=LIMIT / 5)
    head_part, _, answered = answer.partition(b"\r\n\r\n")
    assert head_part.startswith(b"HTTP/1.1 200 OK"), answer
    assert orjson.loads(answered)["data"] == {"__typename": "Query"}


async def test_a_body_that_never_pauses_long_but_comes_too_slowly_is_refused(server: tuple[str, int]) -> None:
    head = b"POST /graphql HTTP/1.1\r\nHost: studio\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    # A byte every 0.3 s: each pause is under the idle limit, the average (3.3 bytes a second) under the minimum.
    trickled = [head, *(b" " for _ in range(100))]
    error = refused_408(await trickle_then_read(server, trickled, pause=0.3))
    assert error["message"] == f"The request body came slower than {MIN_RATE} bytes a second"
