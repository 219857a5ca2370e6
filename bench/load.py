"""The load driver: N clients, each on its own HTTP/1.1 keep-alive connection, sending requests back to back.

Raw sockets rather than an HTTP client library: the driver shares two cores with the servers it measures, and a
request here costs a write and two reads, so the driver's own CPU use stays small next to what it measures.

A run is a warm-up (pools fill, caches warm, nothing recorded) followed by a fixed measuring window; a request
counts when it completes inside the window, and its latency (send to last byte) is recorded. Any answer other
than HTTP 200 without a GraphQL `errors` member counts as an error, and a run with errors is reported as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

_HEADER_END = b"\r\n\r\n"
_ERRORS_MEMBER = b'"errors":'


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


def http_request(
    endpoint: Endpoint, method: str, path: str, *, headers: dict[str, str], body: Any | None = None
) -> bytes:
    """The bytes of one HTTP/1.1 request (JSON body when `body` is given), built once and replayed."""
    payload = orjson.dumps(body) if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {endpoint.host}:{endpoint.port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive connection; `send` answers (status, body)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, endpoint: Endpoint) -> Connection:
        reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, limit=1 << 22)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(_HEADER_END)
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._read_chunked()
        if length is None:
            raise HttpError("answer without Content-Length on a keep-alive connection")
        return status, await self.reader.readexactly(length)

    async def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def is_success(status: int, body: bytes) -> bool:
    return status == 200 and _ERRORS_MEMBER not in body


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux); NaN where there is none.

    Throughput on a shared machine moves with everyone else's load; the server's own CPU time per request moves
    much less, so the report shows both."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    requests: int  # completed inside the measuring window
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)  # sorted
    first_error: str | None = None
    cpu_seconds: float = math.nan  # the server process's CPU time during the window

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else math.nan

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the recorded latencies."""
        if not self.latencies_ms:
            return float("nan")
        rank = min(max(1, math.ceil(fraction * len(self.latencies_ms))), len(self.latencies_ms))
        return self.latencies_ms[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


class WindowProbe(Protocol):
    """What else is read from the server as the measuring window opens and as it closes (its /metrics)."""

    async def opened(self) -> None: ...

    async def closed(self) -> None: ...


async def run_load(
    endpoint: Endpoint,
    requests: Sequence[bytes],
    *,
    clients: int,
    warmup: float,
    duration: float,
    server_pid: int | None = None,
    probe: WindowProbe | None = None,
) -> LoadResult:
    """`clients` connections sending `requests` in turn for `warmup` + `duration` seconds; only the window
    after the warm-up is measured (and, given `server_pid`, that process's CPU time during it; given `probe`, it is
    called at both ends of the window)."""
    connections = [await Connection.open(endpoint) for _ in range(clients)]
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + warmup, start + warmup + duration
    cpu: list[float] = []
    if server_pid is not None:
        for moment in (window_start, window_end):
            loop.call_at(moment, lambda: cpu.append(process_cpu_seconds(server_pid)))
    probing: list[asyncio.Future[None]] = []

    def begin(step: Callable[[], Awaitable[None]]) -> None:
        probing.append(asyncio.ensure_future(step()))

    if probe is not None:
        for moment, step in ((window_start, probe.opened), (window_end, probe.closed)):
            loop.call_at(moment, begin, step)
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None

    async def client(index: int, connection: Connection) -> None:
        nonlocal errors, first_error
        # Each client starts at its own place in the cycle, so concurrent requests differ when there is a choice.
        cycle = itertools.islice(itertools.cycle(requests), index, None)
        for request in cycle:
            sent = time.perf_counter()
            status, body = await connection.send(request)
            elapsed_ms = (time.perf_counter() - sent) * 1000
            now = loop.time()
            if window_start <= now <= window_end:
                if is_success(status, body):
                    latencies.append(elapsed_ms)
                else:
                    errors += 1
                    first_error = first_error or f"HTTP {status}: {body[:300]!r}"
            if now >= window_end:
                return

    try:
        await asyncio.gather(*(client(index, connection) for index, connection in enumerate(connections)))
        await asyncio.gather(*probing)
    finally:
        for connection in connections:
            await connection.close()
    latencies.sort()
    cpu_seconds = cpu[1] - cpu[0] if len(cpu) == 2 else math.nan
    return LoadResult(len(latencies), errors, duration, latencies, first_error, cpu_seconds)


async def run_sequential(endpoint: Endpoint, requests: Sequence[bytes], count: int) -> int:
    """`count` requests one after the other on one connection (for statement counting); answers how many
    succeeded."""
    connection = await Connection.open(endpoint)
    succeeded = 0
    try:
        for request in itertools.islice(itertools.cycle(requests), count):
            status, body = await connection.send(request)
            succeeded += is_success(status, body)
    finally:
        await connection.close()
    return succeeded


async def fetch_once(endpoint: Endpoint, request: bytes) -> tuple[int, bytes]:
    connection = await Connection.open(endpoint)
    try:
        return await connection.send(request)
    finally:
        await connection.close()
