"""What the API's and the worker's metrics endpoints share (prometheus-client): the registry each serves, the
collectors read at scrape time, and the METRICS_TOKEN check.

Metrics are objects of the process (a counter counts whatever this process did); each endpoint serves a
registry of its own holding them, the process collectors, and collectors over the resources it opened, so that
two apps in one process (the tests) never register anything twice.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy.pool import Pool, QueuePool

# Every counter would also be served with a `_created` timestamp series: twice the lines, read by nobody here.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated

BEARER = "bearer "


def process_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry with the process's CPU, memory, file descriptors and garbage collection, and `collectors`."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
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
