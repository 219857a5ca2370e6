"""SQLAlchemy's internals that db/direct_select.py builds on (written for SQLAlchemy 2.1.9, pinned in pyproject.toml).

A loader batch's SELECT runs on a pooled connection's asyncpg driver, without a SQLAlchemy `Connection` around it,
when nobody listens to the engine's cursor events (db/direct_select.py says what that saves). Three things make
that possible, and none is SQLAlchemy's documented async API (a fourth, the cache key, serves list pages):

- the greenlet bridge that runs SQLAlchemy's sync code (the pool) from a coroutine, so that the asyncpg adapter's
  awaits inside it reach our event loop. SQLAlchemy's own (`sqlalchemy.util.greenlet_spawn`, which
  `AsyncConnection` uses for every call) makes a new greenlet for every call, and a new greenlet's first Python
  frame costs a fresh frame stack: ~35 us a call, most of a checkout's cost (a checkout and its checkin took
  ~80 us through it, ~25 us here, and ~15 us called without any greenlet). `run_sync` keeps its greenlets and
  reuses them. What makes a greenlet one that SQLAlchemy's `await_` hands its awaitable from is the class
  attribute `__sqlalchemy_greenlet_provider__` (`sqlalchemy.util.concurrency`), not a public name.
- `Engine.pool.connect()`: `Pool.connect` itself is public, but only for sync engines; an async engine's pool
  connects (and checks in, and invalidates) only inside the bridge.
- `Engine.dispatch.before_cursor_execute` / `after_cursor_execute`: the engine's listener collections, whose truth
  says whether anyone listens (statement counting, OpenTelemetry, logging hooks). `event.contains` answers only for
  one known function; `dispatch` is documented as an attribute but not as an API.
- `ClauseElement._generate_cache_key()`: the key SQLAlchemy's compiled cache finds a statement's compiled form by
  (its structure, no value bound) and the bound parameters in the order the key met them; db/shaped_select.py
  compiles a list page's statement once per key of its conditions (`cache_key`).

tests/core/test_internals_sqlalchemy.py checks each of them on a real engine and names the one an upgrade broke.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, ParamSpec, TypeVar

from greenlet import getcurrent, greenlet
from sqlalchemy import ClauseElement
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.cache_key import CacheKey

WRITTEN_FOR = "2.1.9"
# The class attribute `sqlalchemy.util.await_` looks for on the current greenlet.
GREENLET_PROVIDER = "__sqlalchemy_greenlet_provider__"
# Idle bridges a thread keeps: one per sync call waiting at once (a checkout waiting for a connection), reused after.
IDLE_BRIDGES = 64

P = ParamSpec("P")
T = TypeVar("T")


class _Finished:
    """What a bridge answers when its function has returned or raised (anything else it answers is an awaitable)."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value = value
        self.error = error


class _Bridge(greenlet):  # type: ignore[misc]  # greenlet's class is untyped for subclassing
    """A greenlet that runs one sync function after another, each switched in by `run_sync`: when SQLAlchemy's
    `await_` is called inside, the awaitable goes to the coroutine that switched in, which awaits it and switches
    back with its result (or throws its error in)."""

    def __init__(self) -> None:
        super().__init__(_serve)


def _serve(function: Callable[[], Any]) -> None:
    """A bridge's life. It names no bridge: a bridge referring to itself would be a reference cycle, left for the
    cyclic collector when an extra bridge is dropped."""
    while True:
        try:
            finished = _Finished(function(), None)
        except BaseException as error:  # handed to the coroutine, which raises it
            finished = _Finished(None, error)
        # Outside the try: the GreenletExit a dropped bridge is sent (when freed) ends the loop.
        function = getcurrent().parent.switch(finished)


setattr(_Bridge, GREENLET_PROVIDER, True)


class _IdleBridges(threading.local):
    """A greenlet runs only in the thread that made it: each thread keeps its own."""

    def __init__(self) -> None:
        self.bridges: list[_Bridge] = []


_idle = _IdleBridges()


async def run_sync(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)`, SQLAlchemy sync code, run from a coroutine through a greenlet bridge: what the
    async driver adapter awaits inside it is awaited on the running loop, in this coroutine's context."""
    idle = _idle.bridges
    bridge = idle.pop() if idle else _Bridge()
    current = getcurrent()
    bridge.parent = current
    bridge.gr_context = current.gr_context  # contextvars inside are the caller's, as greenlet_spawn's are
    outcome = bridge.switch(partial(function, *args, **kwargs))
    while type(outcome) is not _Finished:
        try:
            value = await outcome
        except BaseException as error:  # a failed wait (a cancellation too) is raised where the function awaited
            outcome = bridge.throw(error)
        else:
            outcome = bridge.switch(value)
    bridge.gr_context = None  # an idle bridge holds no request's context
    if len(idle) < IDLE_BRIDGES:
        idle.append(bridge)
    if outcome.error is not None:
        failure, outcome.error = outcome.error, None
        raise failure
    result: T = outcome.value
    return result


async def checkout(engine: Engine) -> PoolProxiedConnection:
    """A connection from `engine`'s pool (as `engine.connect()` takes one, minus the `Connection`). Hand it back
    with `checkin`: its `driver_connection` is the asyncpg connection."""
    return await run_sync(engine.pool.connect)


async def checkin(pooled: PoolProxiedConnection) -> None:
    """`pooled` back to its pool (reset as the pool resets every connection it takes back)."""
    await run_sync(pooled.close)


async def invalidate(pooled: PoolProxiedConnection, error: BaseException | None) -> None:
    """`pooled` dropped for good (its server went away): the pool will not hand it out again."""
    await run_sync(pooled.invalidate, error)


def has_cursor_listeners(engine: Engine) -> bool:
    """Whether anyone listens to `engine`'s cursor events (on the engine, or on the `Engine` class)."""
    dispatch = engine.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def cache_key(element: ClauseElement) -> CacheKey | None:
    """SQLAlchemy's cache key of `element`: `.key`, hashable, equal for elements that compile to the same SQL, and
    `.bindparams`, its bound parameters in the order met (None: an element SQLAlchemy cannot cache)."""
    return element._generate_cache_key()
