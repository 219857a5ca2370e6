"""Engine and session factory. One engine per process; sessions are short-lived and never shared."""

from __future__ import annotations

import weakref

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from db.recycling import RECYCLE_SECONDS, stagger_recycling


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    statement_timeout_seconds: float = 0,
    recycle_seconds: float = RECYCLE_SECONDS,
) -> AsyncEngine:
    server_settings = {"jit": "off", "application_name": "studio-graphql"}
    if statement_timeout_seconds > 0:
        # Set at connection start-up, so it costs no statement; PostgreSQL then cancels any longer statement itself.
        server_settings["statement_timeout"] = str(round(statement_timeout_seconds * 1000))
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        # No ping per checkout: it costs a round trip (BEGIN, ping, ROLLBACK) on every loader batch. A connection
        # the server dropped fails one statement, after which SQLAlchemy invalidates the whole pool; recycling
        # keeps connections younger than typical server and proxy idle timeouts, each at an age of its own
        # (db/recycling.py) rather than SQLAlchemy's `pool_recycle`, which replaced a whole pool at once.
        pool_pre_ping=False,
        # Statement caching per connection keeps the hot read path cheap; JIT buys nothing for OLTP queries.
        # asyncpg expires a cached statement after 300 s by default, with a timer per statement that makes a
        # reference cycle with its cache entry when it fires (garbage for the cyclic collector, every 300 s for
        # every statement of every connection): statements stay cached for the connection's life instead, which
        # recycling bounds.
        connect_args={"server_settings": server_settings, "max_cached_statement_lifetime": 0},
    )
    stagger_recycling(engine.sync_engine, age_seconds=recycle_seconds)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: resolvers read attributes after the write transaction has committed.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_read_engines: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine in autocommit mode, for reads, made once per engine (an option engine's event listeners form
    reference cycles, so one per use left garbage for the cyclic collector). A read in autocommit mode sends just
    its statements, without a BEGIN and a ROLLBACK around them: two round trips fewer. Never write through it:
    each statement would commit on its own."""
    autocommit = _read_engines.get(engine)
    if autocommit is None:
        autocommit = _read_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return autocommit
