"""Pooled connections are replaced at ages of their own (db/recycling.py): each draws its age when it connects, the
pool replaces it on the first checkout past that age, through a session as through a direct select, and queries
keep working throughout. A real engine on the real PostgreSQL, with ages of about a second."""

from __future__ import annotations

import asyncio
import time
from random import Random
from typing import Any, Literal, NamedTuple

from sqlalchemy import Integer, bindparam, event, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from db.direct_select import DirectSelect
from db.engine import create_engine
from db.recycling import RECYCLE_JITTER, RECYCLE_SECONDS, REPLACE_AT, stagger_recycling

POOL_SIZE = 4
AGE_SECONDS = 2.0
RUN_SECONDS = 3.6  # past the longest first age (2.4 s), short of the shortest second one (1.6 + 1.6 s)
PAUSE_SECONDS = 0.02
# How late after its age a connection may be replaced: it waits for its next checkout (every POOL_SIZE queries),
# on a machine shared with other work.
LATE_SECONDS = 0.5
# Seeded, so the first ages are the same every run: 1.6, 1.86, 2.1 and 2.38 s for seed 71 (from 1.6 to 2.4 s),
# 0.78 s from the first to the last. SQLAlchemy's pool_recycle would replace all four within one round of checkouts.
SEED = 71
SPREAD_AT_LEAST = 0.4

Path = Literal["session", "direct select"]


class Backend(NamedTuple):
    pid: int


BACKEND = DirectSelect(
    select(func.pg_backend_pid().label("pid")).where(bindparam("keys", type_=Integer) == literal_column("1")),
    parameter="keys",
    row_type=Backend,
)


async def backend_pid(engine: AsyncEngine, path: Path) -> int:
    if path == "direct select":
        [row] = await BACKEND.rows(engine, 1)
        return row.pid
    async with engine.connect() as connection:
        pid: int = (await connection.execute(select(func.pg_backend_pid()))).scalar_one()
    return pid


class Replacement(NamedTuple):
    at: float
    due: float
    during: Path


async def test_a_connection_draws_its_age_when_it_connects(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=POOL_SIZE)
    ages: list[float] = []

    def connected(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        ages.append(record.info[REPLACE_AT] - time.monotonic())

    event.listen(engine.sync_engine, "connect", connected)  # after create_engine's own listener
    try:
        connections = [await engine.connect() for _ in range(POOL_SIZE)]
        for connection in connections:
            await connection.close()
    finally:
        await engine.dispose()
    assert len(ages) == POOL_SIZE
    shortest, longest = RECYCLE_SECONDS * (1 - RECYCLE_JITTER), RECYCLE_SECONDS * (1 + RECYCLE_JITTER)
    assert all(shortest - 1 <= age <= longest for age in ages), ages
    assert len(set(ages)) == POOL_SIZE, ages  # one age each, not one for the pool


async def test_connections_are_replaced_one_by_one_at_their_own_ages_and_queries_keep_working(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url, pool_size=POOL_SIZE, max_overflow=0)
    stagger_recycling(engine.sync_engine, age_seconds=AGE_SECONDS, draw=Random(SEED).uniform)
    due: dict[int, float] = {}  # id(DBAPI connection) -> when it is to be replaced
    replacements: list[Replacement] = []
    path: list[Path] = ["session"]

    def connected(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        due[id(dbapi_connection)] = record.info[REPLACE_AT]

    def invalidated(dbapi_connection: Any, _record: ConnectionPoolEntry, _error: BaseException | None) -> None:
        replacements.append(Replacement(time.monotonic(), due[id(dbapi_connection)], path[0]))

    event.listen(engine.sync_engine, "connect", connected)
    event.listen(engine.sync_engine, "invalidate", invalidated)
    try:
        # The pool's connections, all opened at once (as a busy moment opens them).
        held = [await engine.connect() for _ in range(POOL_SIZE)]
        first_due = sorted(due.values())
        for connection in held:
            await connection.close()
        pids: list[int] = []
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            # Alternating: with the pool's FIFO order, two connections serve sessions and two direct selects.
            path[0] = "session" if len(pids) % 2 == 0 else "direct select"
            pids.append(await backend_pid(engine, path[0]))
            await asyncio.sleep(PAUSE_SECONDS)
    finally:
        await engine.dispose()

    assert len(pids) > 4 * POOL_SIZE and all(isinstance(pid, int) for pid in pids)
    originals = replacements[:POOL_SIZE]
    assert sorted(replacement.due for replacement in originals) == first_due, "each original replaced once"
    for replacement in originals:
        assert replacement.due <= replacement.at <= replacement.due + LATE_SECONDS, replacement
    moments = sorted(replacement.at for replacement in originals)
    assert moments[-1] - moments[0] >= SPREAD_AT_LEAST, moments  # never all together
    assert {replacement.during for replacement in originals} == {"session", "direct select"}, originals
    # Four backends at the start, every one replaced by the end.
    assert not set(pids[:POOL_SIZE]) & set(pids[-POOL_SIZE:]), pids
