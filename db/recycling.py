"""Pooled connections replaced at ages of their own, so that a pool never reconnects all at once.

SQLAlchemy's `pool_recycle` gives every connection the same age: a pool whose 30 connections opened together (the
first busy moment after start-up) replaced all 30 together every 30 minutes, each replacement a connect and an
authentication round trip on the request that checked it out. Here each connection draws its own age when it
connects, `age_seconds` give or take up to `jitter` of it (uniformly), and is replaced on the first checkout past
it: by the pool itself, which drops a connection whose `checkout` listener raises `DisconnectionError` and hands
out a new one (SQLAlchemy's documented way to refuse a pooled connection). The new connection draws a new age, so
the replacements spread further apart with every round.

Every checkout goes through the pool's events: sessions and `AsyncConnection`s, and the direct selects, which
check out through `Pool.connect` (core/internals/sqlalchemy.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from random import uniform
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# Where a connection keeps the moment it is to be replaced (time.monotonic()): its pool entry's `info`, which
# SQLAlchemy keeps for exactly as long as the DBAPI connection.
REPLACE_AT = "studio_replace_at"

RECYCLE_SECONDS = 1800.0
RECYCLE_JITTER = 0.2


def stagger_recycling(
    engine: Engine,
    *,
    age_seconds: float = RECYCLE_SECONDS,
    jitter: float = RECYCLE_JITTER,
    draw: Callable[[float, float], float] = uniform,
) -> None:
    """Replace each of `engine`'s pooled connections once it is `age_seconds` (± up to `jitter` of it) old.
    `draw(low, high)` picks each connection's age (random.uniform; a test may pass a seeded one)."""
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter is a fraction of the age, from 0 to below 1, not {jitter}")
    shortest, longest = age_seconds * (1 - jitter), age_seconds * (1 + jitter)

    def on_connect(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[REPLACE_AT] = time.monotonic() + draw(shortest, longest)

    def on_checkout(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        replace_at = record.info.get(REPLACE_AT)
        if replace_at is not None and time.monotonic() >= replace_at:
            raise exc.DisconnectionError("the connection reached its recycle age")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "checkout", on_checkout)
