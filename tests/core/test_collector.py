"""The API's collection policy (core/collector.py): the cyclic collector runs when no HTTP request is in flight, and
CPython's automatic collection, at NEVER_IDLE_THRESHOLD, still frees the cycles of a process that is never idle.

Each request of these tests leaves a reference cycle holding a sentinel; a weak reference to the sentinel says
whether the cycle was freed. While a test runs, automatic collection is on at a threshold no test reaches (unless the
test sets the policy's own), so only the policy under test can free a cycle.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from core.collector import NEVER_IDLE_THRESHOLD, CollectWhenIdle, IdleCollector, bound_automatic_collections

UNREACHED_THRESHOLD = (1_000_000_000, 20, 20)
WAIT_PATH = "/wait"  # a request to it stays in flight until the app's `release` is set


class Sentinel:
    """What a request's cycle holds: weakly referable, unlike a list."""


class CycleLeavingApp:
    """An ASGI app whose every request leaves `cycle_size` lists in one reference cycle holding a sentinel, but a
    request to WAIT_PATH, which leaves nothing and answers once `release` is set."""

    def __init__(self, cycle_size: int = 1) -> None:
        self.cycle_size = cycle_size
        self.sentinels: list[weakref.ref[Sentinel]] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == WAIT_PATH:
            await self.release.wait()
        else:
            self._leave_a_cycle()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    def _leave_a_cycle(self) -> None:
        sentinel = Sentinel()
        head: list[Any] = [sentinel]
        head.extend([head] for _ in range(self.cycle_size - 1))  # each list reaches the head, the head all of them
        head.append(head)
        self.sentinels.append(weakref.ref(sentinel))

    def freed(self) -> list[bool]:
        """For each cycle-leaving request so far, whether its cycle is gone."""
        return [sentinel() is None for sentinel in self.sentinels]


async def request(app: CollectWhenIdle, path: str = "/") -> None:
    scope = {"type": "http", "method": "GET", "path": path, "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


async def next_turns() -> None:
    """Let the event loop run what the last request's end scheduled."""
    for _ in range(3):
        await asyncio.sleep(0)


class Collections:
    """The generation of every collection started while installed."""

    def __init__(self) -> None:
        self.generations: list[int] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.generations.append(info["generation"])


@pytest.fixture(autouse=True)
def only_the_policy_collects() -> Iterator[None]:
    threshold = gc.get_threshold()
    enabled = gc.isenabled()
    gc.collect()
    gc.enable()
    gc.set_threshold(*UNREACHED_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not enabled:
            gc.disable()


@pytest.fixture
def collections() -> Iterator[Collections]:
    recorder = Collections()
    gc.callbacks.append(recorder)
    try:
        yield recorder
    finally:
        gc.callbacks.remove(recorder)


async def test_a_cycle_a_request_leaves_is_freed_once_no_request_is_in_flight(collections: Collections) -> None:
    inner = CycleLeavingApp()
    app = CollectWhenIdle(inner, IdleCollector(interval_seconds=0, quiet_seconds=0))

    await request(app)
    await next_turns()

    assert inner.freed() == [True]
    assert collections.generations == [2]  # one full collection


async def test_no_collection_runs_while_a_request_is_in_flight(collections: Collections) -> None:
    inner = CycleLeavingApp()
    collector = IdleCollector(interval_seconds=0, quiet_seconds=0)
    app = CollectWhenIdle(inner, collector)

    waiting = asyncio.create_task(request(app, WAIT_PATH))
    await next_turns()
    await request(app)
    await request(app)
    await next_turns()

    assert collector.in_flight == 1
    assert collections.generations == []
    assert inner.freed() == [False, False]

    inner.release.set()
    await waiting
    await next_turns()

    assert collector.in_flight == 0
    assert inner.freed() == [True, True]
    assert collections.generations == [2]


async def test_idle_collections_are_at_least_the_interval_apart(collections: Collections) -> None:
    inner = CycleLeavingApp()
    app = CollectWhenIdle(inner, IdleCollector(interval_seconds=3600, quiet_seconds=0))

    await request(app)
    await next_turns()

    assert collections.generations == []
    assert inner.freed() == [False]


QUIET_SECONDS = 1.0


async def test_a_request_within_the_quiet_time_puts_the_collection_off(collections: Collections) -> None:
    inner = CycleLeavingApp()
    app = CollectWhenIdle(inner, IdleCollector(interval_seconds=0, quiet_seconds=QUIET_SECONDS))

    await request(app)
    await asyncio.sleep(QUIET_SECONDS / 2)
    await request(app)  # the quiet starts again from here
    await asyncio.sleep(QUIET_SECONDS * 0.6)  # past the first request's quiet time, not the second's
    assert collections.generations == []
    assert inner.freed() == [False, False]

    await asyncio.sleep(QUIET_SECONDS)
    assert collections.generations == [2]
    assert inner.freed() == [True, True]


async def test_a_disabled_collector_stays_off_when_idle(collections: Collections) -> None:
    inner = CycleLeavingApp()
    app = CollectWhenIdle(inner, IdleCollector(interval_seconds=0, quiet_seconds=0))
    gc.disable()  # the fixture turns it back on

    await request(app)
    await next_turns()

    assert collections.generations == []
    assert inner.freed() == [False]


async def test_a_websocket_is_not_a_request_in_flight() -> None:
    collector = IdleCollector(interval_seconds=0, quiet_seconds=0)
    seen: list[int] = []

    async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(collector.in_flight)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await CollectWhenIdle(websocket_app, collector)({"type": "websocket", "path": "/"}, receive, send)

    assert seen == [0]


# Just past what the cycles must add up to for CPython's own collection to start at NEVER_IDLE_THRESHOLD (~2 million
# lists, ~200 MB for a moment).
CYCLE_SIZE = 50_000
CYCLES_PAST_THE_BOUND = NEVER_IDLE_THRESHOLD[0] // CYCLE_SIZE + 2


async def test_a_process_never_idle_still_frees_cycles_past_the_bound(collections: Collections) -> None:
    inner = CycleLeavingApp(cycle_size=CYCLE_SIZE)
    app = CollectWhenIdle(inner, IdleCollector(interval_seconds=0, quiet_seconds=0))
    waiting = asyncio.create_task(request(app, WAIT_PATH))  # never idle while it waits
    await next_turns()
    bound_automatic_collections()  # the fixture restores the threshold

    try:
        for _ in range(CYCLES_PAST_THE_BOUND):
            await request(app)
        await next_turns()
        automatic = list(collections.generations)
        freed = inner.freed()
    finally:
        inner.release.set()
        await waiting

    assert automatic, "no collection started past the bound"
    assert freed[0], "the first request's cycle outlived the bound"
