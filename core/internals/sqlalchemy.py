"""SQLAlchemy's internals that db/direct_select.py builds on (written for SQLAlchemy 2.1.9, pinned in pyproject.toml).

A loader batch's SELECT runs on a pooled connection's asyncpg driver, without a SQLAlchemy `Connection` around it,
when nobody listens to the engine's cursor events (db/direct_select.py says what that saves). Three things make
that possible, and none is SQLAlchemy's documented async API (a fourth, the cache key, serves list pages):

- `sqlalchemy.util.greenlet_spawn`: the bridge that runs SQLAlchemy's sync code (the pool) from a coroutine, so
  that the asyncpg adapter's awaits inside it reach our event loop. `AsyncConnection` uses it for every call;
  `sqlalchemy.util` is not a public package.
- `Engine.pool.connect()`: `Pool.connect` itself is public, but only for sync engines; an async engine's pool
  connects (and checks in, and invalidates) only inside `greenlet_spawn`.
- `Engine.dispatch.before_cursor_execute` / `after_cursor_execute`: the engine's listener collections, whose truth
  says whether anyone listens (statement counting, OpenTelemetry, logging hooks). `event.contains` answers only for
  one known function; `dispatch` is documented as an attribute but not as an API.
- `ClauseElement._generate_cache_key()`: the key SQLAlchemy's compiled cache finds a statement's compiled form by
  (its structure, no value bound) and the bound parameters in the order the key met them; db/shaped_select.py
  compiles a list page's statement once per key of its conditions (`cache_key`).

tests/core/test_internals_sqlalchemy.py checks each of them on a real engine and names the one an upgrade broke.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

from sqlalchemy import ClauseElement
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.util import greenlet_spawn

WRITTEN_FOR = "2.1.9"

P = ParamSpec("P")
T = TypeVar("T")


async def run_sync(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)`, SQLAlchemy sync code, run from a coroutine through SQLAlchemy's greenlet bridge:
    what the async driver adapter awaits inside it is awaited on the running loop."""
    return await greenlet_spawn(partial(function, *args, **kwargs))


async def checkout(engine: Engine) -> PoolProxiedConnection:
    """A connection from `engine`'s pool (as `engine.connect()` takes one, minus the `Connection`). Hand it back
    with `checkin`: its `driver_connection` is the asyncpg connection."""
    return await greenlet_spawn(engine.pool.connect)


async def checkin(pooled: PoolProxiedConnection) -> None:
    """`pooled` back to its pool (reset as the pool resets every connection it takes back)."""
    await greenlet_spawn(pooled.close)


async def invalidate(pooled: PoolProxiedConnection, error: BaseException | None) -> None:
    """`pooled` dropped for good (its server went away): the pool will not hand it out again."""
    await greenlet_spawn(pooled.invalidate, error)


def has_cursor_listeners(engine: Engine) -> bool:
    """Whether anyone listens to `engine`'s cursor events (on the engine, or on the `Engine` class)."""
    dispatch = engine.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def cache_key(element: ClauseElement) -> CacheKey | None:
    """SQLAlchemy's cache key of `element`: `.key`, hashable, equal for elements that compile to the same SQL, and
    `.bindparams`, its bound parameters in the order met (None: an element SQLAlchemy cannot cache)."""
    return element._generate_cache_key()
