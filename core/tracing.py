"""OpenTelemetry tracing for the API and the worker: on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (README,
"Operating it"), and then the one place that sets it up.

`start_tracing` makes this process's tracer provider (service name from OTEL_SERVICE_NAME, else the process's
default; sampler from OTEL_TRACES_SAMPLER; resource from OTEL_RESOURCE_ATTRIBUTES), a BatchSpanProcessor sending
to the OTLP/HTTP exporter (which reads OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION itself), the
asyncpg and redis instrumentations, and a log record factory that puts `trace_id` and `span_id` on every record
logged while a span is current (core/logs.py shows them). With the variable unset nothing of it happens: no
wrapper around asyncpg or redis, no record factory, no span object anywhere (the HTTP middleware and the
operation extension are added only when `current_tracing()` answers one), so tracing costs nothing when off.

SQL is traced at the asyncpg driver, not through SQLAlchemy's cursor events: a cursor listener would send every
direct SELECT (db/direct_select.py) back through SQLAlchemy's slower execution, and the driver sees both paths.

The provider is this module's, not OpenTelemetry's global one (which can be set only once per process): the
tests start and stop tracing around the tests that need it. Context propagation (W3C `traceparent`, or whatever
OTEL_PROPAGATORS names) is OpenTelemetry's global propagator.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import propagate, trace
from opentelemetry.context import Context as TraceContext
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Tracer
from opentelemetry.util.types import Attributes

from core.logs import TRACE_FIELDS

API_SERVICE: Final = "studio-graphql"
WORKER_SERVICE: Final = "studio-worker"
ENDPOINT_VARIABLES: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
INSTRUMENTATION_NAME: Final = "studio"

logger = logging.getLogger("core.tracing")


@dataclass(frozen=True)
class Tracing:
    """This process's tracing while it is on: its provider and the tracer of the project's own spans."""

    provider: TracerProvider
    tracer: Tracer

    def flush(self) -> None:
        """Sends what the batch processor still holds (at shutdown; the provider shuts down at exit by itself)."""
        self.provider.force_flush()


_current: Tracing | None = None
_plain_record_factory: Callable[..., logging.LogRecord] | None = None


def current_tracing() -> Tracing | None:
    """The process's tracing, or None when it is off: what every traced place asks first."""
    return _current


def tracing_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for tracing: an OTLP endpoint, and the SDK not switched off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name) for name in ENDPOINT_VARIABLES)


def start_tracing(default_service_name: str, *, processor: SpanProcessor | None = None) -> Tracing | None:
    """Tracing for this process, when the environment asks for it or a `processor` is given (tests: an in-memory
    exporter's); None when off. Started once: a second call answers the tracing already on."""
    global _current
    if _current is not None:
        return _current
    if processor is None:
        if not tracing_configured():
            return None
        processor = BatchSpanProcessor(_otlp_exporter())
    provider = TracerProvider(resource=_resource(default_service_name), sampler=_sampler())
    provider.add_span_processor(processor)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    _install_record_factory()
    _current = Tracing(provider, provider.get_tracer(INSTRUMENTATION_NAME))
    logger.info("Tracing on, as service %s", provider.resource.attributes.get(SERVICE_NAME))
    return _current


def stop_tracing() -> None:
    """Tracing off again, as if never started: the instrumentations and the record factory removed, the spans
    still held sent. For the tests; a process's tracing lasts as long as the process."""
    global _current
    if _current is None:
        return
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()
    _remove_record_factory()
    _current.provider.shutdown()
    _current = None


def trace_carrier() -> dict[str, str]:
    """The current trace context as text (`traceparent`, ...), to travel with work handed to another process (a
    queued job); empty when tracing is off or no span is current."""
    if _current is None:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str] | None) -> TraceContext | None:
    """The trace context a carrier holds (an HTTP request's headers, a queued job's `trace_context`)."""
    return propagate.extract(carrier) if carrier else None


def _otlp_exporter() -> SpanExporter:
    # Imported only when tracing is on: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _resource(default_service_name: str) -> Resource:
    """OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, with this process's service name when neither names one
    (Resource.create would let a given name win over the environment's)."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: default_service_name}))
    return resource


def _sampler() -> Sampler:
    # The sampler OTEL_TRACES_SAMPLER names, as the SDK reads it when given none (a provider made only to read it).
    return _NoOrphanClientSpans(TracerProvider(shutdown_on_exit=False).sampler)


class _NoOrphanClientSpans(Sampler):
    """Drops a SQL or Redis call that belongs to no request or job: the worker polls its queue ten times a
    second, and the API re-checks websocket tokens in the background; each would otherwise be a trace of its own.
    Everything else is the configured sampler's decision."""

    def __init__(self, configured: Sampler) -> None:
        self.configured = configured

    def should_sample(
        self,
        parent_context: TraceContext | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if kind is SpanKind.CLIENT and not parent.is_valid:
            return SamplingResult(Decision.DROP)
        return self.configured.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"NoOrphanClientSpans{{{self.configured.get_description()}}}"


def _install_record_factory() -> None:
    """Every log record made while a span is current carries its `trace_id` and `span_id` (as OpenTelemetry and
    collectors write them: 32 and 16 hex digits), whichever handler formats it."""
    global _plain_record_factory
    plain = logging.getLogRecordFactory()
    _plain_record_factory = plain

    def record_with_trace(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = plain(*args, **kwargs)
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            trace_id, span_id = TRACE_FIELDS
            setattr(record, trace_id, format(span_context.trace_id, "032x"))
            setattr(record, span_id, format(span_context.span_id, "016x"))
        return record

    logging.setLogRecordFactory(record_with_trace)


def _remove_record_factory() -> None:
    global _plain_record_factory
    if _plain_record_factory is not None:
        logging.setLogRecordFactory(_plain_record_factory)
        _plain_record_factory = None
