"""A small graphql-transport-ws client for the bench: one websocket carrying many subscriptions, every message
stamped with the wall-clock time it was received (the worker stamps its writes with the same clock).

The reader task does nothing but receive, stamp and file messages by operation id, so a stamp is taken as soon as
the library hands the frame over; JSON is parsed after the stamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.jobs_stack import BenchError

OPEN_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Received:
    at: float  # time.time() when received
    message: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.message["type"])

    def data(self) -> dict[str, Any]:
        """The single root field's value of a `next` message."""
        payload = self.message["payload"]
        if payload.get("errors"):
            raise BenchError(f"subscription error: {payload['errors']}")
        value: dict[str, Any] = next(iter(payload["data"].values()))
        return value


@dataclass
class Operation:
    id: str
    messages: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    ended: bool = False  # `complete` or `error` received


class GraphQLSocket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.operations: dict[str, Operation] = {}
        self.stray: list[dict[str, Any]] = []  # messages for no known operation
        self.closed_by_server: str | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url: str, token: str) -> GraphQLSocket:
        ws = await connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=OPEN_TIMEOUT_SECONDS,
            max_size=None,
            # The protocol has its own keep-alive; websocket-level pings would only add traffic here.
            ping_interval=None,
        )
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}).decode()
        )
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT_SECONDS))
        if ack.get("type") != "connection_ack":
            await ws.close()
            raise BenchError(f"connection_init answered {ack}")
        return cls(ws)

    async def subscribe(self, operation_id: str, query: str, variables: dict[str, Any]) -> Operation:
        operation = self.operations[operation_id] = Operation(operation_id)
        payload = {"query": query, "variables": variables}
        await self.ws.send(orjson.dumps({"id": operation_id, "type": "subscribe", "payload": payload}).decode())
        return operation

    async def complete(self, operation_id: str) -> None:
        """The client ends an operation (the server stops its generator and lets go of its channel)."""
        operation = self.operations[operation_id]
        if not operation.ended:
            operation.ended = True
            await self.ws.send(orjson.dumps({"id": operation_id, "type": "complete"}).decode())

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                at = time.time()
                message = orjson.loads(frame)
                kind = message.get("type")
                if kind == "ping":
                    await self.ws.send(orjson.dumps({"type": "pong"}).decode())
                    continue
                if kind == "pong":
                    continue
                operation = self.operations.get(str(message.get("id")))
                if operation is None:
                    self.stray.append(message)
                    continue
                if kind in ("complete", "error"):
                    operation.ended = True
                operation.messages.put_nowait(Received(at, message))
        except Exception as exc:  # the connection dropped: every waiter sees it through closed_by_server
            self.closed_by_server = f"{type(exc).__name__}: {exc}"
        else:
            self.closed_by_server = f"closed ({self.ws.close_code} {self.ws.close_reason})"


async def next_message(operation: Operation, within: float) -> Received:
    try:
        return await asyncio.wait_for(operation.messages.get(), within)
    except TimeoutError:
        raise BenchError(f"operation {operation.id}: no message within {within}s") from None
