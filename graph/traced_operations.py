"""A span for every GraphQL operation, over HTTP or a websocket, while tracing is on (core/tracing.py).

A schema extension hooking only `on_operation` and `on_stream_result`, so both execution paths keep running
(graph/execution/fallbacks.py: only a `resolve` hook sends everything to graphql-core's executor), and listed
first, so that its span covers parsing, validation, pricing and execution, and ends after ErrorCodes has given
the answer's errors their codes. The SQL and Redis spans of the operation's resolvers and loaders are its
children: the span is current while the operation runs, and every task the execution starts inherits it.

What it records: the operation's name and type, the document's SHA-256 and length, and the codes of the
answer's errors (then the span's status is an error). Never the document itself (a login's password may be a
literal in it), the variables, or any header. Over HTTP its parent is the request's span
(graph/traced_requests.py); over a websocket, the handshake's `traceparent` when it sent one. A subscription's
span lasts from its start to its end, with its re-reads as children.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from opentelemetry import context as trace_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from core.tracing import context_from, current_tracing
from graph.context import Context
from graph.operations_seen import error_codes, operation_of

UNPARSED_NAME = "GraphQL operation"


def traced_operations() -> list[Callable[[], SchemaExtension]]:
    """The extension to list when tracing is on; none when it is off."""
    tracing = current_tracing()
    if tracing is None:
        return []
    tracer = tracing.tracer
    return [lambda: TracedOperations(tracer)]


class TracedOperations(SchemaExtension):
    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.streamed: list[str] | None = None

    def on_operation(self) -> Iterator[None]:
        span = self.tracer.start_span(UNPARSED_NAME, context=self._websocket_parent())
        token = trace_context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            trace_context.detach(token)
            self._describe(span)
            span.end()

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        try:
            yield
        finally:
            self.streamed = [*(self.streamed or ()), *error_codes(getattr(result, "errors", None))]

    def _websocket_parent(self) -> trace_context.Context | None:
        """Over a websocket there is no request span: the trace the handshake named, if any. Over HTTP, None: the
        current context, the request's span."""
        request_context = self.execution_context.context
        request = request_context.request if isinstance(request_context, Context) else None
        if not isinstance(request, WebSocket) or trace.get_current_span().get_span_context().is_valid:
            return None
        return context_from(request.headers)

    def _describe(self, span: Span) -> None:
        context = self.execution_context
        name, operation_type = operation_of(context)
        if operation_type is not None:
            span.update_name(f"{operation_type} {name}" if name else operation_type)
            span.set_attribute("graphql.operation.type", operation_type)
        if name is not None:
            span.set_attribute("graphql.operation.name", name)
        if isinstance(context.query, str):
            span.set_attribute("graphql.document.sha256", hashlib.sha256(context.query.encode()).hexdigest())
            span.set_attribute("graphql.document.length", len(context.query))
        codes = self.streamed if self.streamed is not None else error_codes(getattr(context.result, "errors", None))
        if codes:
            span.set_attribute("graphql.error_codes", codes)
            span.set_status(Status(StatusCode.ERROR, ", ".join(codes)))
