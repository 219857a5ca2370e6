"""A span for every GraphQL operation, over HTTP or a websocket, while tracing is on (core/tracing.py).

Opened and closed by the operation pipeline (graph/pipeline.py, which hooks no `resolve`, so both execution paths
keep running: graph/execution/fallbacks.py), first thing and last, so that its span covers parsing, validation,
pricing and execution, and ends after the answer's errors were given their codes. The SQL and Redis spans of the
operation's resolvers and loaders are its children: the span is current while the operation runs, and every task
the execution starts inherits it.

What it records: the operation's name and type, the document's SHA-256 and length, and the codes of the
answer's errors (then the span's status is an error). Never the document itself (a login's password may be a
literal in it), the variables, or any header. Over HTTP its parent is the request's span
(graph/traced_requests.py); over a websocket, the handshake's `traceparent` when it sent one. A subscription's
span lasts from its start to its end, with its re-reads as children.
"""

from __future__ import annotations

import hashlib

from graphql import OperationDefinitionNode
from opentelemetry import context as trace_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from starlette.websockets import WebSocket

from core.tracing import context_from, current_tracing
from graph.operations_seen import name_and_type

UNPARSED_NAME = "GraphQL operation"


def operation_tracer() -> Tracer | None:
    """The tracer of the operations' spans when tracing is on; None when it is off."""
    tracing = current_tracing()
    return tracing.tracer if tracing is not None else None


class OperationSpan:
    """One operation's span, current from `OperationSpan(...)` until `end`."""

    def __init__(self, tracer: Tracer, request: object) -> None:
        self.span = tracer.start_span(UNPARSED_NAME, context=_websocket_parent(request))
        self._token = trace_context.attach(trace.set_span_in_context(self.span))

    def end(self, operation: OperationDefinitionNode | None, query: str | None, codes: list[str]) -> None:
        trace_context.detach(self._token)
        _describe(self.span, operation, query, codes)
        self.span.end()


def _websocket_parent(request: object) -> trace_context.Context | None:
    """Over a websocket there is no request span: the trace the handshake named, if any. Over HTTP, None: the
    current context, the request's span."""
    if not isinstance(request, WebSocket) or trace.get_current_span().get_span_context().is_valid:
        return None
    return context_from(request.headers)


def _describe(span: Span, operation: OperationDefinitionNode | None, query: str | None, codes: list[str]) -> None:
    name, operation_type = name_and_type(operation)
    if operation_type is not None:
        span.update_name(f"{operation_type} {name}" if name else operation_type)
        span.set_attribute("graphql.operation.type", operation_type)
    if name is not None:
        span.set_attribute("graphql.operation.name", name)
    if isinstance(query, str):
        span.set_attribute("graphql.document.sha256", hashlib.sha256(query.encode()).hexdigest())
        span.set_attribute("graphql.document.length", len(query))
    if codes:
        span.set_attribute("graphql.error_codes", codes)
        span.set_status(Status(StatusCode.ERROR, ", ".join(codes)))
