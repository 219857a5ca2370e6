"""The cyclic garbage collector in a long-running process (the API and the worker).

Requests free everything they allocate by reference counting: none leaves a reference cycle
(graph/execution/acyclic.py, tests/graph/test_reference_cycles.py). The collector still runs, whenever allocations
outnumber deallocations by its threshold, and each of its full collections walks every object the process tracks:
the schema, its types and resolvers, the models, every imported module, most of which exist from start-up to the
end. `gc.freeze()` once start-up is done moves them all into a permanent generation that no collection walks
again; a collection then walks only what came after (caches, the requests in flight).

In the API, what came after is mostly the requests in flight, and under load there are always some: with 16 nested
500-row guidelines pages in flight, each young collection (at the former threshold of 200,000) walked
140,000-490,000 of their objects (UUIDs, most of them, then loaders' futures, rows, lists), 55 ms-1.4 s during which
every request waited, and freed nothing (`python -m bench.gc_pauses --census`, bench/README.md). So the API collects
when no HTTP request is in flight (`CollectWhenIdle`): nothing waits then, and a request's objects are gone by then,
so such a run walks only what outlives requests. CPython's automatic collection stays on as the bound for a process
that is never idle, at a threshold above what requests in flight hold (`NEVER_IDLE_THRESHOLD`): reference cycles a
library makes cannot grow memory without limit, and under load without them it does not start.

The worker keeps CPython's own collection after its start-up freeze: it serves no HTTP requests, and its jobs (one
ZIP, one LoRA file) have no client waiting through a pause.
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
# And only once no request has run for this long: a moment between two requests of a busy client is not idle (its
# next request would wait for the run), and connections closing after a burst have let go of their objects.
QUIET_SECONDS: Final = 0.25


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
    """Counts the HTTP requests in flight in this process and, once none has run for `quiet_seconds`, runs a full
    collection, at most one per `interval_seconds`.

    Skipped while the automatic collector is disabled (`gc.disable()`): whoever disabled it (a test counting what
    requests leave in cycles) decides when to collect."""

    def __init__(
        self, interval_seconds: float = IDLE_COLLECTION_INTERVAL_SECONDS, quiet_seconds: float = QUIET_SECONDS
    ) -> None:
        self.interval_seconds = interval_seconds
        self.quiet_seconds = quiet_seconds
        self.in_flight = 0
        self.last_collection = time.monotonic()
        self.last_ended = 0.0
        self._waiting_on: asyncio.AbstractEventLoop | None = None  # the loop whose timer will check for quiet

    def started(self) -> None:
        self.in_flight += 1

    def ended(self) -> None:
        self.in_flight -= 1
        self.last_ended = time.monotonic()
        if self.in_flight or not gc.isenabled():
            return
        if self.last_ended - self.last_collection < self.interval_seconds:
            return
        loop = asyncio.get_running_loop()
        if self._waiting_on is not loop:  # else its timer is set (a timer of a loop since closed never fires)
            self._waiting_on = loop
            loop.call_later(self.quiet_seconds, self._collect_if_quiet)

    def _collect_if_quiet(self) -> None:
        self._waiting_on = None
        if self.in_flight or not gc.isenabled():
            return  # the end of the requests in flight sets the timer again: their objects would be walked now
        quiet_for = time.monotonic() - self.last_ended
        if quiet_for < self.quiet_seconds:  # a request came and went meanwhile
            self._waiting_on = loop = asyncio.get_running_loop()
            loop.call_later(self.quiet_seconds - quiet_for, self._collect_if_quiet)
            return
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
