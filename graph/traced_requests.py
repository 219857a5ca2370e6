"""A server span for every HTTP request while tracing is on (core/tracing.py): the outermost middleware, so the
request's log line (graph/observed.py) is written while the span is current and carries its `trace_id`.

The span continues the trace the request names (W3C `traceparent`, read by OpenTelemetry's global propagator) and
records the method, the path without its query string (a GET /graphql carries its document and variables there),
the route the router matched, and the status; a 5xx answer is an error. Websocket connections get none: a
connection lasts as long as its client stays, and each operation over it has its own span
(graph/traced_operations.py).
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.tracing import context_from

SERVER_ERROR = 500


class TracedRequests:
    def __init__(self, app: ASGIApp, *, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer
        # The headers a propagator reads (traceparent, tracestate, baggage): only these are decoded.
        self.fields = frozenset(field.encode("latin-1") for field in propagate.get_global_textmap().fields)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"] if name in self.fields
        }
        method: str = scope["method"]
        span = self.tracer.start_span(
            method,
            context=context_from(carrier),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "url.scheme": scope.get("scheme", "http"),
                "network.protocol.version": scope.get("http_version", "1.1"),
            },
        )
        status: int | None = None

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with trace.use_span(span, end_on_exit=True):
            try:
                await self.app(scope, receive, sending)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                if status is not None:
                    span.set_attribute("http.response.status_code", status)
                    if status >= SERVER_ERROR:
                        span.set_status(Status(StatusCode.ERROR))
