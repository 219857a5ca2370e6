"""One pooled connection per HTTP request, for the reads that run on the asyncpg driver (db/direct_select.py).

A request that reads took a connection from the pool for each statement: the caller's, the root read's, then one
per loader batch, each a checkout and a checkin through SQLAlchemy's pool (the greenlet bridge, the pool's
bookkeeping, its reset). Here the request takes one on its first read and keeps it until its response is made
(`release`, graph/app.py), so its statements follow one another on one connection, each prepared once per
connection by asyncpg's statement cache.

A connection runs one statement at a time: loader batches of one level, dispatched together (graph/loaders.py),
take turns on it. The request never waits for a second connection while it holds one: with every request holding
one and waiting for another, a busy pool would deadlock until its timeout. For the same reason the request hands
its connection back when it opens a SQLAlchemy session (`park`, graph/context.py: a list page, a write), and takes
one again on its next driver read.

Only reads go through it, in autocommit mode: nothing here begins a transaction, so nothing is left open on the
connection between statements, and writes keep their own sessions and transactions. A read outside a request (a
websocket's, a job's) takes a pooled connection for its statement alone (`on_pooled`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool, PoolProxiedConnection

from core.internals.sqlalchemy import checkin, checkout, invalidate

T = TypeVar("T")

# What a read does with a driver connection: prepare (the first time) and fetch.
DriverWork = Callable[[asyncpg.Connection], Awaitable[T]]

# The parked connections' check-ins under way (the loop keeps only weak references to its tasks).
_checking_in: set[asyncio.Future[Any]] = set()


async def on_pooled(engine: Engine, work: DriverWork[T]) -> T:
    """`work` on a connection taken from `engine`'s pool for it alone, and handed back at once."""
    pooled = await checkout(engine)
    try:
        return await _on(pooled, work)
    finally:
        if pooled.is_valid:
            await checkin(pooled)


async def _on(pooled: PoolProxiedConnection, work: DriverWork[T]) -> T:
    driver: asyncpg.Connection = pooled.driver_connection
    try:
        return await work(driver)
    except BaseException as error:
        # A statement the server refused, or a cancelled wait (asyncpg cancels the statement on the server), leaves
        # the connection usable. One that lost its server (a restart, a terminated backend) is dropped from the
        # pool now, rather than handed to another request to fail again.
        if driver.is_closed():
            await invalidate(pooled, error if isinstance(error, Exception) else None)
        raise


class RequestConnection:
    """The connection one request's driver reads share (`run`), taken from `engine`'s pool on the first read and
    handed back by `park` (for now) or `release` (for good)."""

    __slots__ = ("_engine", "_park_after_read", "_pooled", "_released", "_turn")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pooled: PoolProxiedConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the connection
        self._released = False
        self._park_after_read = False  # a session was opened while a read ran: hand the connection back after it

    @property
    def pool(self) -> Pool:
        return self._engine.pool

    async def run(self, work: DriverWork[T]) -> T:
        """`work` on the request's connection, once the read before it there has finished; on a connection of its
        own once the request has been answered."""
        if self._released:
            return await on_pooled(self._engine, work)
        async with self._turn:
            pooled = self._pooled
            if pooled is None:
                pooled = self._pooled = await checkout(self._engine)
            try:
                return await _on(pooled, work)
            finally:
                if not pooled.is_valid:
                    self._pooled = None  # invalidated (and so back in the pool): the next read takes another
                elif self._released or self._park_after_read:
                    self._park_after_read = False
                    await self._hand_back()

    def park(self) -> None:
        """Hand the connection back to the pool while the request works through a SQLAlchemy session (which takes
        a connection of its own); the next driver read takes one again. A read running now hands it back when it
        ends."""
        if self._pooled is None:
            return
        if self._turn.locked():
            self._park_after_read = True
            return
        pooled, self._pooled = self._pooled, None
        # Checked in by a task: this is called where a session is made, outside any coroutine of ours. The task
        # runs at the loop's next turn, before any wait of the session's own checkout could end.
        checking_in = asyncio.ensure_future(checkin(pooled))
        _checking_in.add(checking_in)
        checking_in.add_done_callback(_checking_in.discard)

    async def release(self) -> None:
        """Hand the connection back for good: the request's response is made. A read still running (none should)
        hands it back when it ends; any later read takes a connection of its own."""
        self._released = True
        if not self._turn.locked():
            await self._hand_back()

    async def _hand_back(self) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            await checkin(pooled)
