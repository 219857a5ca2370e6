"""What the API's and the worker's metrics endpoints share (prometheus-client): the registry each serves, the
collectors read at scrape time, and the METRICS_TOKEN check.

Metrics are objects of the process (a counter counts whatever this process did); each endpoint serves a
registry of its own holding them, the process collectors, and collectors over the resources it opened, so that
two apps in one process (the tests) never register anything twice.
"""

from __future__ import annotations

import bisect
import gc
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy.pool import Pool, QueuePool

# Every counter would also be served with a `_created` timestamp series: twice the lines, read by nobody here.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated

BEARER = "bearer "


def process_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry with the process's CPU, memory, file descriptors, garbage collection (prometheus-client's counts,
    `python_gc_objects_collected_total` among them, and the pauses below), and `collectors`."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    gc_pauses.install()
    registry.register(gc_pauses)
    for collector in collectors:
        registry.register(collector)
    return registry


def token_accepted(authorization: str | None, token: SecretStr | None) -> bool:
    """Whether a request with this Authorization header may read metrics: always without METRICS_TOKEN, else only
    with `Bearer <token>`, compared in constant time (no timing tells how much of a guess was right)."""
    if token is None:
        return True
    if authorization is None or not authorization.lower().startswith(BEARER):
        return False
    given = authorization[len(BEARER) :].strip().encode()
    return hmac.compare_digest(given, token.get_secret_value().encode())


class CountsCollector(Collector):
    """A counter read at scrape time from a `reason -> count` mapping another module keeps (as
    graph/execution/fallbacks.counts): that module needs no metrics library, and the counts cost nothing more."""

    def __init__(self, name: str, documentation: str, label: str, counts: Callable[[], Mapping[str, int]]) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in sorted(self.counts().items()):
            family.add_metric([value], count)
        yield family


class PoolCollector(Collector):
    """The database connection pool as it is at scrape time: connections in use and the pool's size."""

    def __init__(self, pool: Callable[[], Pool | None]) -> None:
        self.pool = pool

    def collect(self) -> Iterable[Metric]:
        pool = self.pool()
        if not isinstance(pool, QueuePool):  # not opened yet (a worker before its start-up), or no pool to read
            return
        yield GaugeMetricFamily(
            "db_pool_checked_out", "Database connections in use (checked out of the pool)", value=pool.checkedout()
        )
        yield GaugeMetricFamily("db_pool_size", "Database connections the pool keeps (DATABASE_POOL_SIZE)", pool.size())


# Pauses of the cyclic garbage collector: from 0.5 ms (a young collection) to seconds (a full one over a big heap).
GC_PAUSE_BUCKETS: Final = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)
GC_GENERATIONS: Final = 3


class GcPauses(Collector):
    """How long each collection of the cyclic garbage collector took, by generation, and the longest so far.

    A collection stops every thread of the process (in the API, every request in flight waits for it), so its
    duration is a pause. Recorded by a `gc.callbacks` hook, which runs only around collections and does a few
    arithmetic operations on plain lists: no prometheus-client metric objects there, since their locks are not
    reentrant and a collection can start while the scraping thread holds one (a deadlock). Each generation's figures
    are one list (bucket counts, then the sum), copied in one step at scrape time, so a scrape never sees a count
    without its sum."""

    def __init__(self) -> None:
        # Per generation: a count per bucket (the last one past the largest bound), then the sum of seconds.
        self.figures: list[list[float]] = [[0.0] * (len(GC_PAUSE_BUCKETS) + 2) for _ in range(GC_GENERATIONS)]
        self.longest = 0.0
        self._started = 0.0

    def install(self) -> None:
        """Start recording in this process (once, however many registries serve it)."""
        if self._record not in gc.callbacks:
            gc.callbacks.append(self._record)

    def uninstall(self) -> None:
        """Stop recording (a collector made for one test)."""
        if self._record in gc.callbacks:
            gc.callbacks.remove(self._record)

    def _record(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        seconds = time.perf_counter() - self._started
        figures = self.figures[info["generation"]]
        figures[bisect.bisect_left(GC_PAUSE_BUCKETS, seconds)] += 1
        figures[-1] += seconds
        if seconds > self.longest:
            self.longest = seconds

    def collect(self) -> Iterable[Metric]:
        histogram = HistogramMetricFamily(
            "python_gc_pause_seconds",
            "Collections of the cyclic garbage collector (each one pauses the whole process), by generation",
            labels=["generation"],
        )
        for generation, live in enumerate(self.figures):
            figures = live.copy()
            counts, total = figures[:-1], figures[-1]
            cumulative, buckets = 0.0, []
            for bound, count in zip((*map(str, GC_PAUSE_BUCKETS), "+Inf"), counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            histogram.add_metric([str(generation)], buckets, total)
        yield histogram
        yield GaugeMetricFamily(
            "python_gc_pause_max_seconds",
            "The longest collection of the cyclic garbage collector since the process started",
            value=self.longest,
        )


# One per process, as the collector's hook is.
gc_pauses = GcPauses()
