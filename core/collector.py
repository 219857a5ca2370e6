"""The cyclic garbage collector in a long-running process (the API and the worker).

Requests free everything they allocate by reference counting: none leaves a reference cycle
(graph/execution/acyclic.py, tests/graph/test_reference_cycles.py). The collector still runs, whenever allocations
outnumber deallocations by its threshold, and each of its full collections walks every object the process tracks:
the schema, its types and resolvers, the models, every imported module, most of which exist from start-up to the
end. `gc.freeze()` once start-up is done moves them all into a permanent generation that no collection walks
again; a collection then walks only what came after (caches, the requests in flight).

In the API, what came after is mostly the requests in flight, and under load there are always some: 16 nested
500-row guidelines pages hold ~300,000 tracked objects between them (rows, their UUIDs, loaders' futures, the
answer), so a young collection there walked 150,000-490,000 objects, 55-480 ms during which every request waited,
and freed nothing (`python -m bench.gc_pauses --census`, bench/README.md). So the API collects when no HTTP request
is in flight (`CollectWhenIdle`): nothing waits then, and a request's objects are gone by then, so such a run walks
only what outlives requests. CPython's automatic collection stays on as the bound for a process that is never idle,
at a threshold above what requests in flight hold (`NEVER_IDLE_THRESHOLD`): reference cycles a library makes cannot
grow memory without limit, and under load without them it does not start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("core.collector")

# CPython's automatic collection starts when container objects allocated minus freed since the last collection
# pass the first figure. Requests in flight count there while they build their answers: with collection off, 16
# nested 500-row guidelines pages (the bench's largest read, past the default QUERY_MAX_COST) took that count to
# 1.08 million (`python -m bench.gc_pauses --setups 0,20,20`). Twice that starts no run under such load, and a run
# it starts, once a library's cycles have accumulated with no idle moment to free them, frees them. The other two
# figures keep the older generations' runs as rare as graph/app.py had them.
NEVER_IDLE_THRESHOLD: Final = (2_000_000, 20, 20)
# At most one idle collection in this many seconds: a run walks what outlives requests (caches, pools), a few
# milliseconds of CPU that a process idle after every request (light sequential traffic) need not spend each time.
IDLE_COLLECTION_INTERVAL_SECONDS: Final = 10.0


def freeze_start_up(process: str) -> int:
    """Everything alive now (after a collection, so no garbage is kept) out of every later collection's walk.
    Call it once the process has built what it keeps (`process` names it in the log line). The count frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("%s started: %d objects frozen out of the garbage collector's walks (gc.freeze)", process, frozen)
    return frozen


def bound_automatic_collections() -> None:
    """CPython's automatic collection as the bound of a process never idle (NEVER_IDLE_THRESHOLD)."""
    gc.set_threshold(*NEVER_IDLE_THRESHOLD)


class IdleCollector:
    """Counts the HTTP requests in flight in this process and, when the last one ends, runs a full collection on
    the event loop's next turn if none has started meanwhile and none ran in the last `interval_seconds`.

    Skipped while the automatic collector is disabled (`gc.disable()`): whoever disabled it (a test counting what
    requests leave in cycles) decides when to collect."""

    def __init__(self, interval_seconds: float = IDLE_COLLECTION_INTERVAL_SECONDS) -> None:
        self.interval_seconds = interval_seconds
        self.in_flight = 0
        self.last_collection = time.monotonic()
        self._scheduled = False

    def started(self) -> None:
        self.in_flight += 1

    def ended(self) -> None:
        self.in_flight -= 1
        if self.in_flight or self._scheduled or not gc.isenabled():
            return
        if time.monotonic() - self.last_collection < self.interval_seconds:
            return
        # After the request's own task has returned: its objects are freed and its response is sent.
        self._scheduled = True
        asyncio.get_running_loop().call_soon(self._collect_if_idle)

    def _collect_if_idle(self) -> None:
        self._scheduled = False
        if self.in_flight or not gc.isenabled():
            return  # a request arrived meanwhile: its objects would be walked
        gc.collect()
        self.last_collection = time.monotonic()


# One per process, as the collector is.
idle_collector = IdleCollector()


class CollectWhenIdle:
    """ASGI middleware: every HTTP request counted in flight by `collector` from its start to its response's end."""

    def __init__(self, app: ASGIApp, collector: IdleCollector = idle_collector) -> None:
        self.app = app
        self.collector = collector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # A websocket lives as long as its client stays: counted, the process would never be idle. An idle
            # run walks what its subscriptions hold, a few objects each.
            await self.app(scope, receive, send)
            return
        self.collector.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.collector.ended()
