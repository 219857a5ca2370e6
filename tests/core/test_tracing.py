"""core/tracing.py: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and then nothing of it is installed; on, what
it installs and removes again, the service name, the calls it leaves out, and the trace ids on log lines.

The spans of a real app, worker and API process are tests/graph/test_tracing.py's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio
import wrapt
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.routing import Route

from core.settings import Settings
from core.tracing import (
    API_SERVICE,
    WORKER_SERVICE,
    Tracing,
    current_tracing,
    start_tracing,
    stop_tracing,
    trace_carrier,
    tracing_configured,
)
from graph.traced_requests import TracedRequests
from tests.conftest import GraphQLClient
from tests.core.test_logs import stderr_lines

ENDPOINT = "http://127.0.0.1:4318"
OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


def instrumented() -> dict[str, bool]:
    """Which driver methods carry an instrumentation's wrapper (a wrapt proxy in the class's own namespace)."""
    methods = {
        "asyncpg Connection.fetch": (asyncpg.connection.Connection, "fetch"),
        "asyncpg PreparedStatement.fetch": (asyncpg.prepared_stmt.PreparedStatement, "fetch"),
        "redis execute_command": (redis.asyncio.Redis, "execute_command"),
    }
    return {name: isinstance(vars(cls)[method], wrapt.FunctionWrapper) for name, (cls, method) in methods.items()}


@pytest.fixture
def no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def in_memory(no_otel_environment: None) -> Iterator[tuple[Tracing, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracing = start_tracing(WORKER_SERVICE, processor=SimpleSpanProcessor(exporter))
    assert tracing is not None
    try:
        yield tracing, exporter
    finally:
        stop_tracing()


def test_tracing_is_asked_for_by_an_otlp_endpoint_unless_the_sdk_is_disabled() -> None:
    assert not tracing_configured({})
    assert not tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": ""})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{ENDPOINT}/v1/traces"})
    assert not tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "true"})


async def test_off_nothing_is_installed_and_nothing_traced(
    no_otel_environment: None, app: Starlette, gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    plain_factory = logging.getLogRecordFactory()
    assert start_tracing(API_SERVICE) is None and current_tracing() is None
    assert instrumented() == dict.fromkeys(instrumented(), False)
    assert logging.getLogRecordFactory() is plain_factory
    # The session's app was built with tracing off: no request middleware, no operation span.
    assert not any(middleware.cls is TracedRequests for middleware in app.user_middleware)
    view = next(route.endpoint for route in app.routes if isinstance(route, Route) and route.path == "/graphql")
    assert view.schema.pipeline_parts.tracer is None
    assert trace_carrier() == {}
    with caplog.at_level(logging.INFO, logger="graph.requests"):
        await gql.data("query Ping { __typename }")
    lines = [record for record in caplog.records if record.name == "graph.requests"]
    assert lines and not any(hasattr(record, "trace_id") for record in lines)


def test_on_the_drivers_are_instrumented_and_stopping_removes_it_all(no_otel_environment: None) -> None:
    plain_factory = logging.getLogRecordFactory()
    tracing = start_tracing(API_SERVICE, processor=SimpleSpanProcessor(InMemorySpanExporter()))
    try:
        assert tracing is not None and current_tracing() is tracing
        assert start_tracing(API_SERVICE) is tracing  # started once
        assert instrumented() == dict.fromkeys(instrumented(), True)
        assert logging.getLogRecordFactory() is not plain_factory
    finally:
        stop_tracing()
    assert current_tracing() is None
    assert instrumented() == dict.fromkeys(instrumented(), False)
    assert logging.getLogRecordFactory() is plain_factory


def test_the_service_name_is_the_process_s_unless_the_environment_names_one(
    no_otel_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracing = start_tracing(WORKER_SERVICE, processor=SimpleSpanProcessor(InMemorySpanExporter()))
    assert tracing is not None
    assert tracing.provider.resource.attributes[SERVICE_NAME] == "studio-worker"
    stop_tracing()
    monkeypatch.setenv("OTEL_SERVICE_NAME", "studio-eu-1")
    tracing = start_tracing(WORKER_SERVICE, processor=SimpleSpanProcessor(InMemorySpanExporter()))
    try:
        assert tracing is not None
        assert tracing.provider.resource.attributes[SERVICE_NAME] == "studio-eu-1"
    finally:
        stop_tracing()


async def test_redis_calls_outside_any_request_or_job_are_not_traces_of_their_own(
    in_memory: tuple[Tracing, InMemorySpanExporter], settings: Settings
) -> None:
    tracing, exporter = in_memory
    assert settings.redis_url
    client = redis.asyncio.Redis.from_url(settings.redis_url)
    try:
        await client.ping()  # as the worker polls its queue, or the API re-checks websocket tokens
        assert exporter.get_finished_spans() == ()
        with tracing.tracer.start_as_current_span("job", kind=SpanKind.CONSUMER) as job:
            await client.ping()
    finally:
        await client.aclose()
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["PING", "job"]
    assert spans[0].parent is not None and spans[0].parent.span_id == job.get_span_context().span_id


def test_a_carrier_holds_the_current_span_s_traceparent(in_memory: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, _ = in_memory
    assert trace_carrier() == {}  # no span current
    with tracing.tracer.start_as_current_span("request") as span:
        carrier = trace_carrier()
    context = span.get_span_context()
    version, trace_id, span_id, flags = carrier["traceparent"].split("-")
    assert (version, trace_id, span_id) == ("00", f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled


LOG_IN_A_SPAN = """
import logging
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from core.logs import configure_logging, log_fields
from core.settings import Settings
from core.tracing import start_tracing
configure_logging(Settings(environment="development", log_format={log_format!r}))
tracing = start_tracing("studio-graphql", processor=SimpleSpanProcessor(InMemorySpanExporter()))
with tracing.tracer.start_as_current_span("request") as span, log_fields(request_id="abc"):
    context = span.get_span_context()
    logging.getLogger("graph.requests").info("in %032x %016x", context.trace_id, context.span_id)
logging.getLogger("graph.requests").info("outside")
"""


def request_lines(log_format: str) -> list[str]:
    """The script's two lines (core/tracing.py logs that tracing is on, too)."""
    return [line for line in stderr_lines(log_format, LOG_IN_A_SPAN) if "graph.requests" in line]


def test_text_lines_in_a_span_end_with_its_trace_and_span_ids() -> None:
    inside, outside = request_lines("text")
    _, trace_id, span_id = inside.split(": ", 1)[1].split(" [", 1)[0].split()
    assert inside.endswith(f" [request_id=abc trace_id={trace_id} span_id={span_id}]"), inside
    assert outside.endswith(" INFO graph.requests: outside"), outside


def test_json_lines_in_a_span_carry_its_trace_and_span_ids() -> None:
    inside, outside = (json.loads(line) for line in request_lines("json"))
    _, trace_id, span_id = inside["message"].split()
    assert (len(trace_id), len(span_id)) == (32, 16)
    expected: dict[str, Any] = {"request_id": "abc", "trace_id": trace_id, "span_id": span_id}
    assert {key: inside[key] for key in expected} == expected
    assert "trace_id" not in outside and "span_id" not in outside
