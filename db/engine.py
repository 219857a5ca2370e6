"""Engine and session factory. One engine per process; sessions are short-lived and never shared."""

from __future__ import annotations

import logging
import weakref
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.settings import DatabasePooler
from db.recycling import RECYCLE_SECONDS, stagger_recycling

logger = logging.getLogger(__name__)

# How the processes' connections show in pg_stat_activity (and in PgBouncer's SHOW CLIENTS).
APPLICATION_NAME = "studio-graphql"


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    statement_timeout_seconds: float = 0,
    pooler: DatabasePooler = "none",
    recycle_seconds: float = RECYCLE_SECONDS,
) -> AsyncEngine:
    server_settings = {"jit": "off", "application_name": APPLICATION_NAME}
    if statement_timeout_seconds > 0:
        # Set at connection start-up, so it costs no statement; PostgreSQL then cancels any longer statement itself.
        server_settings["statement_timeout"] = str(round(statement_timeout_seconds * 1000))
    # asyncpg expires a cached statement after 300 s by default, with a timer per statement that makes a reference
    # cycle with its cache entry when it fires (garbage for the cyclic collector, every 300 s for every statement
    # of every connection): statements stay cached for the connection's life instead, which recycling bounds.
    connect_args: dict[str, Any] = {"server_settings": server_settings, "max_cached_statement_lifetime": 0}
    if pooler == "pgbouncer-transaction":
        connect_args = _pgbouncer_transaction_arguments(statement_timeout_seconds)
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
        connect_args=connect_args,
    )
    stagger_recycling(engine.sync_engine, age_seconds=recycle_seconds)
    return engine


def _pgbouncer_transaction_arguments(statement_timeout_seconds: float) -> dict[str, Any]:
    """asyncpg's arguments behind PgBouncer in transaction mode, as measured against PgBouncer 1.18 (README,
    "Deploying and scaling"; tests/db/test_pgbouncer.py).

    A statement asyncpg prepares under a name lives on one server connection, and the next transaction (in
    autocommit reads, the next statement) may get another: "prepared statement __asyncpg_stmt_N__ does not exist".
    With asyncpg's statement cache off, every statement is unnamed, and asyncpg sends its Parse again with each
    Bind, in the same round trip: SQLAlchemy's statements and the direct selects' `fetch` both work, and
    SQLAlchemy's own cache of prepared statements (then unnamed) still saves describing them again. Unique names
    (SQLAlchemy's `prepared_statement_name_func`) do not help: such a statement is still missing on the next
    server connection. PgBouncer refuses every startup parameter but a few (application_name among them): `jit`
    and `statement_timeout` are set on PostgreSQL's role instead."""
    if statement_timeout_seconds > 0:
        logger.warning(
            "DATABASE_STATEMENT_TIMEOUT_SECONDS is not applied through PgBouncer, which refuses it as a startup "
            "parameter: set it on the role instead (ALTER ROLE <user> SET statement_timeout = '%gs')",
            statement_timeout_seconds,
        )
    return {"statement_cache_size": 0, "server_settings": {"application_name": APPLICATION_NAME}}


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
