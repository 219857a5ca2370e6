"""The API process's metrics and its `GET /metrics` (README, "Operating it").

A GraphQL request is an HTTP request to /graphql that got a GraphQL answer, or an operation over a websocket.
Its operation name is the client's choice, so the label is bounded: a name is kept only when it is a GraphQL
name (nothing else can be one, so the folded values below never collide with a real name) and one of the first
METRICS_OPERATION_NAMES names this process has seen; anonymous operations, requests refused before an operation
was chosen and every name past the limit count under OTHER_NAME.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.metrics import CountsCollector, PoolCollector, process_registry, token_accepted
from graph import persisted_queries
from graph.execution import fallbacks
from services.resources import Resources

METRICS_PATH: Final = "/metrics"
OTHER_NAME: Final = "(other)"
NO_OPERATION: Final = "(none)"  # the operation type of a request refused before one was chosen
OTHER_CODE: Final = "(other)"
NO_CODE: Final = "(none)"

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})

# Latency of queries and mutations, and the lifetime of subscriptions (their own series, by operation_type).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
# Objects an operation may answer (priced before it runs) and did answer: QUERY_MAX_COST is 3 million by default.
COST_BUCKETS = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10**7)

OPERATION_LABELS = ("operation_name", "operation_type")
REQUESTS = Counter("graphql_requests", "GraphQL requests, by operation name and type", OPERATION_LABELS, registry=None)
DURATION = Histogram(
    "graphql_request_duration_seconds",
    "GraphQL request duration (HTTP: first to last byte of the exchange; websocket: the operation's life)",
    OPERATION_LABELS,
    buckets=DURATION_BUCKETS,
    registry=None,
)
ERRORS = Counter("graphql_errors", "Errors in GraphQL answers, by extensions.code", ["code"], registry=None)
COST = Histogram(
    "graphql_operation_cost",
    "Operation cost (extensions.cost): `requested` priced before it ran, `actual` objects answered",
    ["measure"],
    buckets=COST_BUCKETS,
    registry=None,
)
WEBSOCKETS_OPEN = Gauge("graphql_websocket_connections_open", "Websocket connections open", registry=None)
SUBSCRIPTIONS_OPEN = Gauge("graphql_subscriptions_open", "Subscriptions running", registry=None)
PROCESS_METRICS = (REQUESTS, DURATION, ERRORS, COST, WEBSOCKETS_OPEN, SUBSCRIPTIONS_OPEN)


class OperationNames:
    """The operation names this process keeps as label values: the first `limit` GraphQL names it sees."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: set[str] = set()

    def label(self, name: str | None) -> str:
        if name is None or name in self.kept:
            return name or OTHER_NAME
        if len(self.kept) >= self.limit or not _GRAPHQL_NAME.fullmatch(name):
            return OTHER_NAME
        self.kept.add(name)
        return name


# One per process, as the counters are; create_app sets its limit from METRICS_OPERATION_NAMES.
operation_names = OperationNames(limit=100)


def code_label(code: object) -> str:
    if code is None:
        return NO_CODE
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else OTHER_CODE


# The series of REQUESTS and DURATION for each (name, type) a request reported, as `labels()` answers them: it checks
# the values and takes a lock on every call, a third of a request's metrics cost. Only names kept as labels are
# remembered (a folded one may be kept once the limit is raised), so this is bounded as the labels are.
_request_series: dict[tuple[str | None, str | None], tuple[Counter, Histogram]] = {}


def count_request(name: str | None, operation_type: str | None, seconds: float, codes: Iterable[object]) -> None:
    """One GraphQL request answered: its count, duration and error codes."""
    series = _request_series.get((name, operation_type))
    if series is None:
        labels = (
            operation_names.label(name),
            operation_type if operation_type in _OPERATION_TYPES else NO_OPERATION,
        )
        series = (REQUESTS.labels(*labels), DURATION.labels(*labels))
        if labels[0] == name or name is None:
            _request_series[(name, operation_type)] = series
    requests, duration = series
    requests.inc()
    duration.observe(seconds)
    for code in codes:
        ERRORS.labels(code_label(code)).inc()


def count_cost(requested: int, actual: int) -> None:
    COST.labels("requested").observe(requested)
    COST.labels("actual").observe(actual)


def metrics_registry(resources: Resources) -> CollectorRegistry:
    """What this app's /metrics serves: the process's metrics, its database pool, and the counts kept elsewhere."""
    return process_registry(
        *PROCESS_METRICS,
        PoolCollector(lambda: resources.engine.pool),
        CountsCollector(
            "graphql_execution_fallbacks",
            "Levels the fast execution path handed to graphql-core's own, by reason",
            "reason",
            lambda: fallbacks.counts,
        ),
        CountsCollector(
            "graphql_persisted_queries",
            "Persisted-query lookups, by outcome (hit_memory, hit_redis, miss, registered)",
            "outcome",
            lambda: persisted_queries.counts,
        ),
    )


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus' text format (or OpenMetrics when the scraper asks for it); with METRICS_TOKEN, only for it."""
    resources: Resources = request.app.state.resources
    if not token_accepted(request.headers.get("authorization"), resources.settings.metrics_token):
        return JSONResponse(
            {"detail": "Metrics need Authorization: Bearer <METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: CollectorRegistry = request.app.state.metrics_registry
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry), media_type=content_type)
