"""Tracing on (README, "Operating it"): the spans an app and a worker record, caught by the SDK's in-memory
exporter, and those a real API process sends to a real OTLP/HTTP receiver on 127.0.0.1.

Tracing is process-wide (core/tracing.py): the in-memory tests start it for this module, around an app built while
it is on, and stop it again at the end, so that no other module sees it. The session's own app (built before, with
tracing off) serves only the test accounts' set-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

import db.direct_select
from core.internals.sqlalchemy import has_cursor_listeners
from core.settings import Settings
from core.tracing import API_SERVICE, start_tracing, stop_tracing
from db.request_connection import RequestConnection
from graph.app import create_app
from tests.api_process import start_api_process
from tests.conftest import Accounts, GraphQLClient, close_app
from tests.jobs.conftest import (  # the real workers' fixtures: in this process, and as processes
    RunJobs,
    WorkerProcess,
    run_jobs,  # noqa: F401
    worker_environment,
    worker_process,  # noqa: F401
)
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import PROGRESS, data_of, processing_tasks, progress_zip, subscribed
from tests.jobs.zip_helpers import upload_zip, uploaded_task
from tests.otlp_receiver import OtlpReceiver, receive_otlp
from tests.serving import served

# The caller's organizations are read by a loader's direct SELECT (graph/users/loaders.py), one statement
# beginning thus (the caller's own lookup joins the table too, but starts from users).
ME = "query Me { me { id email organizations { id name } } }"
MEMBERSHIPS_SELECT = "SELECT organization_memberships."
REMOTE_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
REMOTE_SPAN_ID = "00f067aa0ba902b7"
SPAN_WAIT_SECONDS = 20.0


@dataclass
class Traced:
    app: Starlette
    exporter: InMemorySpanExporter


@pytest.fixture(scope="module")
async def traced(app: Starlette, settings: Settings) -> AsyncIterator[Traced]:
    """An app built with tracing on, its spans kept in memory. (`app`, the session's untraced one, is made first.)"""
    exporter = InMemorySpanExporter()
    tracing = start_tracing(API_SERVICE, processor=SimpleSpanProcessor(exporter))
    assert tracing is not None
    traced_app = create_app(settings)
    try:
        yield Traced(traced_app, exporter)
    finally:
        await close_app(traced_app)
        stop_tracing()


@pytest.fixture
async def traced_http(traced: Traced) -> AsyncIterator[httpx.AsyncClient]:
    traced.exporter.clear()
    transport = httpx.ASGITransport(app=traced.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def hex_id(value: int, digits: int) -> str:
    return format(value, f"0{digits}x")


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def one(spans: Sequence[ReadableSpan], condition: Callable[[ReadableSpan], bool]) -> ReadableSpan:
    found = [span for span in spans if condition(span)]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def descends_from(span: ReadableSpan, ancestor: ReadableSpan, spans: Sequence[ReadableSpan]) -> bool:
    by_id = {candidate.context.span_id: candidate for candidate in spans}
    current: ReadableSpan | None = span
    while current is not None and current.parent is not None:
        if current.parent.span_id == ancestor.context.span_id:
            return True
        current = by_id.get(current.parent.span_id)
    return False


def sql_spans(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [span for span in spans if (span.attributes or {}).get("db.system") == "postgresql"]


def statement(span: ReadableSpan) -> str:
    return str((span.attributes or {}).get("db.statement", ""))


@pytest.fixture
def driver_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many direct SELECTs ran on the asyncpg driver (on the request's connection or a pooled one), and how
    many went through SQLAlchemy's execution instead (what a cursor listener would cause): the functions are
    wrapped, not replaced."""
    counts = {"driver": 0, "sqlalchemy": 0}
    on_pooled = db.direct_select.on_pooled
    run_on_request_connection = RequestConnection.run
    announced = db.direct_select.DirectSelect._announced_result

    async def counted_on_pooled(*args: Any) -> Any:
        counts["driver"] += 1
        return await on_pooled(*args)

    async def counted_run(*args: Any) -> Any:
        counts["driver"] += 1
        return await run_on_request_connection(*args)

    async def counted_announced(*args: Any) -> Any:
        counts["sqlalchemy"] += 1
        return await announced(*args)

    monkeypatch.setattr(db.direct_select, "on_pooled", counted_on_pooled)
    monkeypatch.setattr(RequestConnection, "run", counted_run)
    monkeypatch.setattr(db.direct_select.DirectSelect, "_announced_result", counted_announced)
    return counts


async def test_a_query_is_a_request_span_an_operation_span_and_its_sql_and_redis_spans(
    traced: Traced, traced_http: httpx.AsyncClient, accounts: Accounts, driver_path: dict[str, int]
) -> None:
    owner = await accounts.user()
    data = await GraphQLClient(traced_http).data(ME, as_=owner)
    assert data["me"]["email"] == owner.user.email

    spans = traced.exporter.get_finished_spans()
    request = one(spans, lambda span: span.kind is SpanKind.SERVER)
    assert request.name == "POST /graphql" and request.parent is None
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/graphql" and request.attributes["http.response.status_code"] == 200
    operation = one(spans, lambda span: span.name == "query Me")
    assert parent_of(operation) == request.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Me"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert operation.attributes["graphql.document.length"] == len(ME)
    assert len(str(operation.attributes["graphql.document.sha256"])) == 64
    assert operation.status.status_code is StatusCode.UNSET
    assert {span.context.trace_id for span in spans} == {request.context.trace_id}

    # The caller's lookup runs before the operation (the request's context is built first), its reads inside it.
    sql = sql_spans(spans)
    assert all(descends_from(span, request, spans) for span in sql) and all(
        span.kind is SpanKind.CLIENT for span in sql
    )
    # The loader's direct SELECT is among the operation's, and still ran on the driver: tracing did not switch it off.
    loaded = [span for span in sql if statement(span).startswith(MEMBERSHIPS_SELECT)]
    assert len(loaded) == 1, [statement(span) for span in sql]
    assert descends_from(loaded[0], operation, spans)
    # (The caller's lookup is a direct SELECT too: at least two ran on the driver, none through SQLAlchemy.)
    assert driver_path["driver"] >= 2 and driver_path["sqlalchemy"] == 0
    assert not has_cursor_listeners(traced.app.state.resources.engine.sync_engine)
    # The operation's cost is charged in Redis (graph/cost_limits.py).
    redis = [span for span in spans if (span.attributes or {}).get("db.system") == "redis"]
    assert redis and all(descends_from(span, operation, spans) for span in redis)
    # Never the document's text, its variables or the token.
    recorded = json.dumps([dict(span.attributes or {}) for span in spans])
    assert owner.token not in recorded and "organizations" not in recorded


async def test_an_incoming_traceparent_is_continued(traced: Traced, traced_http: httpx.AsyncClient) -> None:
    response = await traced_http.post(
        "/graphql",
        json={"query": "query Ping { __typename }"},
        headers={"traceparent": f"00-{REMOTE_TRACE_ID}-{REMOTE_SPAN_ID}-01"},
    )
    assert response.status_code == 200
    spans = traced.exporter.get_finished_spans()
    request = one(spans, lambda span: span.kind is SpanKind.SERVER)
    assert hex_id(request.context.trace_id, 32) == REMOTE_TRACE_ID
    assert request.parent is not None and hex_id(request.parent.span_id, 16) == REMOTE_SPAN_ID
    assert {hex_id(span.context.trace_id, 32) for span in spans} == {REMOTE_TRACE_ID}


async def test_an_operation_s_error_codes_are_its_span_s_status(traced: Traced, traced_http: httpx.AsyncClient) -> None:
    body = await GraphQLClient(traced_http)("query Me { me { id } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    operation = one(traced.exporter.get_finished_spans(), lambda span: span.name == "query Me")
    assert operation.attributes is not None and operation.attributes["graphql.error_codes"] == ("UNAUTHENTICATED",)
    assert operation.status.status_code is StatusCode.ERROR


async def test_log_lines_of_a_request_carry_its_trace_id(
    traced: Traced, traced_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="graph.requests"):
        await GraphQLClient(traced_http).data("query Ping { __typename }")
    request = one(traced.exporter.get_finished_spans(), lambda span: span.kind is SpanKind.SERVER)
    lines = [record for record in caplog.records if record.name == "graph.requests"]
    assert len(lines) == 1
    assert getattr(lines[0], "trace_id", None) == hex_id(request.context.trace_id, 32)
    assert getattr(lines[0], "span_id", None) == hex_id(request.context.span_id, 16)


async def test_a_queued_job_s_span_continues_the_trace_of_the_request_that_queued_it(
    traced: Traced,
    traced_http: httpx.AsyncClient,
    accounts: Accounts,
    run_jobs: RunJobs,  # noqa: F811
    gql: GraphQLClient,
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)  # through the session's untraced app
    task = uploaded_task(await upload_zip(traced_http, owner, progress_zip(), subject_id=subject_id))
    uploaded = traced.exporter.get_finished_spans()
    request = one(uploaded, lambda span: span.kind is SpanKind.SERVER)
    mutation = one(uploaded, lambda span: span.name == "mutation")  # the anonymous upload mutation
    assert parent_of(mutation) == request.context.span_id

    traced.exporter.clear()
    await run_jobs()
    ran = traced.exporter.get_finished_spans()
    job = one(ran, lambda span: span.kind is SpanKind.CONSUMER)
    assert job.name == "job ingest_base_images_zip"
    # The job's parent is the span of the operation that queued it, within the request's span.
    assert job.context.trace_id == request.context.trace_id
    assert parent_of(job) == mutation.context.span_id
    assert job.attributes is not None
    assert job.attributes["job.task_id"] == task["id"] and job.attributes["job.outcome"] == "complete"
    # The job's own statements are its children, in the request's trace.
    job_sql = [span for span in sql_spans(ran) if descends_from(span, job, ran)]
    assert any("subject_base_images_upload_tasks" in statement(span) for span in job_sql)


async def test_a_subscription_over_a_websocket_has_its_span_in_the_handshake_s_trace(
    traced: Traced,
    accounts: Accounts,
    gql: GraphQLClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    # A task row written straight away: an upload would leave a job in the queue for another test's worker.
    (task_id,) = await processing_tasks(session_factory, owner, subject_id, 1)
    async with served(traced.app) as host:
        traced.exporter.clear()
        traceparent = {"traceparent": f"00-{REMOTE_TRACE_ID}-{REMOTE_SPAN_ID}-01"}
        async with subscribed(host, owner, PROGRESS, {"id": task_id}, headers=traceparent) as operation:
            first = data_of(await operation.next())
            assert first["status"] == "PROCESSING"
        spans = await spans_when(traced.exporter, lambda spans: any(s.name == "subscription" for s in spans))
    subscription = one(spans, lambda span: span.name == "subscription")
    assert subscription.attributes is not None
    assert subscription.attributes["graphql.operation.type"] == "subscription"
    # Over a websocket there is no request span: the subscription continues the trace the handshake named.
    assert hex_id(subscription.context.trace_id, 32) == REMOTE_TRACE_ID
    assert subscription.parent is not None and hex_id(subscription.parent.span_id, 16) == REMOTE_SPAN_ID
    # Its first read of the task row is its child.
    assert any(descends_from(span, subscription, spans) for span in sql_spans(spans))


async def spans_when(
    exporter: InMemorySpanExporter, condition: Callable[[Sequence[ReadableSpan]], bool]
) -> Sequence[ReadableSpan]:
    deadline = time.monotonic() + SPAN_WAIT_SECONDS
    while not condition(spans := exporter.get_finished_spans()):
        assert time.monotonic() < deadline, [span.name for span in spans]
        await asyncio.sleep(0.05)
    return spans


# --- a real API process and a real OTLP/HTTP receiver --------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with receive_otlp() as running:
        yield running


async def test_an_api_and_a_worker_process_send_their_spans_to_an_otlp_receiver(
    settings: Settings,
    receiver: OtlpReceiver,
    accounts: Accounts,
    gql: GraphQLClient,
    worker_process: Callable[..., WorkerProcess],  # noqa: F811
    tmp_path: Path,
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    # Each process names itself (OTEL_SERVICE_NAME unset); the batch is sent 100 ms after a span ends.
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100", "LOG_FORMAT": "json"}
    env = worker_environment(settings, **otel)
    env.pop("OTEL_SERVICE_NAME", None)
    api = start_api_process(env, tmp_path / "api.log")
    worker = worker_process(**otel)
    try:
        await api.wait_ready()
        request_id = uuid.uuid4().hex
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
            response = await client.post(
                "/graphql", json={"query": ME}, headers={**owner.headers, "X-Request-ID": request_id}
            )
            assert response.status_code == 200 and not response.json().get("errors"), response.text
            task = uploaded_task(await upload_zip(client, owner, progress_zip(), subject_id=subject_id))

        def complete(spans: list[dict[str, Any]]) -> bool:
            names = {span["name"] for span in spans}
            jobs = [span for span in spans if span["attributes"].get("job.task_id") == task["id"]]
            return {"query Me", "mutation"} <= names and bool(jobs)

        spans = await receiver.spans_when(complete, SPAN_WAIT_SECONDS)
        log = api.log_path.read_text()
    finally:
        api.stop()
        worker.stop()

    query_trace = [span for span in spans if span["trace_id"] == one_trace(spans, "query Me")]
    assert {span["service_name"] for span in query_trace} == {"studio-graphql"}
    request = one_named(query_trace, "POST /graphql")
    operation = one_named(query_trace, "query Me")
    assert operation["parent_span_id"] == request["span_id"]
    assert request["attributes"]["http.response.status_code"] == 200
    statements = [span["attributes"].get("db.statement", "") for span in query_trace]
    assert any(text.startswith(MEMBERSHIPS_SELECT) for text in statements), statements
    # The request's JSON log line carries the trace id the receiver got.
    line = next(json.loads(text) for text in log.splitlines() if request_id in text and "graph.requests" in text)
    assert line["trace_id"] == request["trace_id"]

    # The worker's span of the job is in the upload's trace, the child of the mutation that queued it.
    (job,) = [span for span in spans if span["attributes"].get("job.task_id") == task["id"]]
    assert (
        job["name"] == "job ingest_base_images_zip"
        and job["service_name"] == "studio-worker"
        and job["attributes"]["job.outcome"] == "complete"
    )
    assert job["parent_span_id"] == one_named(spans, "mutation")["span_id"]
    # The worker's polling of its queue sent nothing: every worker trace is a job's (this one, or the cron job
    # run at start), none a lone Redis call.
    worker_spans = [span for span in spans if span["service_name"] == "studio-worker"]
    job_traces = {span["trace_id"] for span in worker_spans if span["name"].startswith("job ")}
    assert {span["trace_id"] for span in worker_spans} == job_traces
    roots = [span["name"] for span in worker_spans if span["parent_span_id"] is None]
    assert all(name.startswith("job ") for name in roots), roots


def one_named(spans: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [span for span in spans if span["name"] == name]
    assert len(found) == 1, [span["name"] for span in spans]
    return found[0]


def one_trace(spans: list[dict[str, Any]], name: str) -> str:
    return str(one_named(spans, name)["trace_id"])
