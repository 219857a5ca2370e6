"""SQLAlchemy's internals that core/internals/sqlalchemy.py reaches are still there and still behave as
db/direct_select.py relies on, on a real engine. A failure names the name and what to do; an upgrade that breaks
one fails here, not in a loader batch."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from contextvars import ContextVar
from importlib.metadata import version
from typing import Any

import asyncpg
import pytest
import sqlalchemy.util
import sqlalchemy.util.concurrency
from sqlalchemy import ClauseElement, Integer, event, literal_column
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, PoolProxiedConnection, QueuePool

from core.internals import sqlalchemy as internals
from db.engine import create_engine
from tests.core.internals_checks import UpgradeCheck

INSTALLED = version("sqlalchemy")


CHECK = UpgradeCheck(
    library="SQLAlchemy",
    installed=INSTALLED,
    written_for=internals.WRITTEN_FOR,
    module="core/internals/sqlalchemy.py",
    users="db/direct_select.py",
)
fail, require, function = CHECK.fail, CHECK.require, CHECK.function


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of its own: nobody else's listeners, and a pool of its own to count."""
    engine = create_engine(database_url, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


def checked_out(engine: AsyncEngine) -> int:
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool), type(pool)
    return pool.checkedout()


def check_greenlet_provider() -> None:
    """SQLAlchemy's `await_` accepts the greenlets of `run_sync`: they carry the attribute it looks for."""
    await_ = function(sqlalchemy.util, "await_", "sqlalchemy.util.await_")
    in_greenlet = function(sqlalchemy.util.concurrency, "in_greenlet", "sqlalchemy.util.concurrency.in_greenlet")
    require(
        internals.GREENLET_PROVIDER in inspect.getsource(await_),
        "sqlalchemy.util.await_",
        f"no longer looks for {internals.GREENLET_PROVIDER} on the current greenlet",
    )
    bridge = internals._Bridge()
    require(bridge.switch(in_greenlet).value is True, "sqlalchemy.util.concurrency.in_greenlet", "refuses run_sync's")


def check_pool_connect() -> None:
    connect = function(Pool, "connect", "Pool.connect")
    parameters = list(inspect.signature(connect).parameters)
    require(parameters == ["self"], "Pool.connect", f"takes {parameters}, not (self)")
    for method, wanted in (("close", ["self"]), ("invalidate", ["self", "e", "soft"])):
        found = list(
            inspect.signature(function(PoolProxiedConnection, method, f"PoolProxiedConnection.{method}")).parameters
        )
        require(found == wanted, f"PoolProxiedConnection.{method}", f"takes {found}, not {wanted}")


def test_the_bridge_greenlets_are_ones_sqlalchemy_awaits_in() -> None:
    check_greenlet_provider()


async def test_run_sync_runs_sync_code_that_awaits_on_the_running_loop(engine: AsyncEngine) -> None:
    """What the bridge is for: sync SQLAlchemy code whose driver adapter awaits (here, a pool connecting)."""
    check_greenlet_provider()

    def connect_and_ask(pool: Pool, question: str) -> Any:
        pooled = pool.connect()  # the asyncpg adapter awaits the connection inside: only inside the bridge
        try:
            cursor = pooled.cursor()
            cursor.execute(question)
            return cursor.fetchone()
        finally:
            pooled.close()

    answer = await internals.run_sync(connect_and_ask, engine.sync_engine.pool, "SELECT 41 + 1")
    require(tuple(answer) == (42,), "sqlalchemy.util.await_", f"ran a sync query to {answer!r}, not (42,)")


async def test_run_sync_reuses_its_greenlets_in_the_callers_context_and_passes_errors_through() -> None:
    seen: ContextVar[str] = ContextVar("seen", default="outside")

    async def later(value: int) -> int:
        await asyncio.sleep(0)
        return value

    def ask(value: int) -> tuple[str, int]:
        return seen.get(), sqlalchemy.util.await_(later(value))

    seen.set("the caller's")
    assert await internals.run_sync(ask, 1) == ("the caller's", 1)
    idle = list(internals._idle.bridges)
    assert await internals.run_sync(ask, 2) == ("the caller's", 2)
    assert internals._idle.bridges == idle  # the same bridge again, back where it was

    async def refused() -> None:
        await asyncio.sleep(0)
        raise LookupError("refused while awaiting")

    with pytest.raises(LookupError, match="refused while awaiting"):
        await internals.run_sync(lambda: sqlalchemy.util.await_(refused()))
    waiting = asyncio.ensure_future(internals.run_sync(lambda: sqlalchemy.util.await_(asyncio.sleep(60))))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(internals._idle.bridges) == len(idle)  # each bridge back once its function ended


async def test_a_pool_connection_comes_out_with_its_asyncpg_connection_and_goes_back(engine: AsyncEngine) -> None:
    check_pool_connect()
    pooled = await internals.checkout(engine.sync_engine)
    require(isinstance(pooled, PoolProxiedConnection), "Pool.connect", f"answered a {type(pooled).__name__}")
    driver = pooled.driver_connection
    require(
        isinstance(driver, asyncpg.Connection),
        "PoolProxiedConnection.driver_connection",
        f"is a {type(driver).__name__}, not an asyncpg connection",
    )
    assert isinstance(driver, asyncpg.Connection)
    assert await driver.fetchval("SELECT 1") == 1
    require(checked_out(engine) == 1, "Pool.connect", f"left {checked_out(engine)} connections checked out, not 1")
    await internals.checkin(pooled)
    require(checked_out(engine) == 0, "PoolProxiedConnection.close", "did not hand the connection back to its pool")

    again = await internals.checkout(engine.sync_engine)
    require(again.driver_connection is driver, "PoolProxiedConnection.close", "did not keep the connection for reuse")
    await internals.checkin(again)


async def test_an_invalidated_connection_is_closed_and_never_handed_out_again(engine: AsyncEngine) -> None:
    check_pool_connect()
    pooled = await internals.checkout(engine.sync_engine)
    driver = pooled.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    await internals.invalidate(pooled, ConnectionResetError("the server went away"))
    await internals.checkin(pooled)
    require(driver.is_closed(), "PoolProxiedConnection.invalidate", "left the asyncpg connection open")
    require(checked_out(engine) == 0, "PoolProxiedConnection.close", "did not end an invalidated checkout")
    fresh = await internals.checkout(engine.sync_engine)
    require(fresh.driver_connection is not driver, "PoolProxiedConnection.invalidate", "let the pool reuse it")
    await internals.checkin(fresh)


def test_the_engine_dispatch_says_whether_anyone_listens_to_cursor_events(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine
    for name in ("before_cursor_execute", "after_cursor_execute"):
        require(hasattr(sync_engine.dispatch, name), f"Engine.dispatch.{name}", "is gone")
    require(not internals.has_cursor_listeners(sync_engine), "Engine.dispatch", "is true with no listener")

    def listener(*args: Any) -> None:
        """Only whether it is attached is checked: no statement runs in this test."""

    for name in ("before_cursor_execute", "after_cursor_execute"):
        for target in (sync_engine, Engine):  # on this engine, and on every engine
            event.listen(target, name, listener)
            try:
                require(
                    internals.has_cursor_listeners(sync_engine),
                    f"Engine.dispatch.{name}",
                    f"is false with a listener on {'the Engine class' if target is Engine else 'the engine'}",
                )
            finally:
                event.remove(target, name, listener)
            require(not internals.has_cursor_listeners(sync_engine), f"Engine.dispatch.{name}", "stays true")


def test_the_cache_key_is_the_same_for_the_same_structure_and_lists_the_values() -> None:
    function(ClauseElement, "_generate_cache_key", "ClauseElement._generate_cache_key")
    column = literal_column("x", Integer)
    first, second, other = (
        internals.cache_key(column == 1),
        internals.cache_key(column == 2),
        internals.cache_key(column > 1),
    )
    require(
        first is not None and second is not None and other is not None,
        "ClauseElement._generate_cache_key",
        "answered None",
    )
    assert first is not None and second is not None and other is not None
    require(first.key == second.key, "CacheKey.key", "differs for the same structure with another value")
    require(first.key != other.key, "CacheKey.key", "is the same for another operator")
    values = [bind.effective_value for bind in second.bindparams]
    require(values == [2], "CacheKey.bindparams", f"lists {values}, not [2]")


def test_a_missing_name_fails_naming_the_library_the_name_and_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sqlalchemy.util, "await_")
    with pytest.raises(pytest.fail.Exception) as failure:
        check_greenlet_provider()
    message = str(failure.value)
    assert f"SQLAlchemy {INSTALLED}'s sqlalchemy.util.await_ is gone" in message
    assert "update core/internals/sqlalchemy.py" in message
