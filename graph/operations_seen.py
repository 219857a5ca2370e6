"""A schema extension that notes, for every operation (HTTP or websocket), what ran and how it was answered.

Listed before ErrorCodes in graph/schema.py: hooks exit in the reverse of their order, so by the time this one
reads an answer's errors they carry the codes the client receives. It hooks no `resolve`, which would send every
request to graphql-core's own execution (graph/execution/fallbacks.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import StreamExecutionResult

from graph.context import Context
from graph.metrics import SUBSCRIPTIONS_OPEN
from graph.request_checks import provided_operation_name
from graph.request_records import Operation, current_request, report

SUBSCRIPTION = "subscription"


def error_codes(errors: list[GraphQLError] | None) -> list[str]:
    return [str((error.extensions or {}).get("code")) for error in errors or ()]


def operation_of(context: ExecutionContext) -> tuple[str | None, str | None]:
    """The operation's name and type, from the document (so the name is a GraphQL name or None)."""
    document = context.graphql_document
    if document is None:
        return None, None
    definition = get_operation_ast(document, provided_operation_name(context))
    if definition is None:
        return None, None
    return (definition.name.value if definition.name else None), definition.operation.value


class OperationsSeen(SchemaExtension):
    def __init__(self) -> None:
        self.subscribed = False
        # Errors of streamed results (websocket operations), each read once it was masked.
        self.streamed: list[str] | None = None

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        answered = False
        try:
            yield
            answered = True
        finally:
            if self.subscribed:
                SUBSCRIPTIONS_OPEN.dec()
            self._seen(time.perf_counter() - started, answered)

    def on_execute(self) -> Iterator[None]:
        # A subscription runs from here until its stream closes, which ends on_operation.
        if operation_of(self.execution_context)[1] == SUBSCRIPTION:
            self.subscribed = True
            SUBSCRIPTIONS_OPEN.inc()
        yield

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        try:
            yield
        finally:
            # After the yield: ErrorCodes, listed after this one, has masked the result before its own yield.
            self.streamed = [*(self.streamed or ()), *error_codes(getattr(result, "errors", None))]

    def _seen(self, seconds: float, answered: bool) -> None:
        name, operation_type = operation_of(self.execution_context)
        request_context = self.execution_context.context
        caller = request_context.caller if isinstance(request_context, Context) else None
        if self.streamed is not None:
            codes = self.streamed
        else:
            # graphql-core's result, or Strawberry's for a refusal before execution: both have `errors`.
            codes = error_codes(getattr(self.execution_context.result, "errors", None)) if answered else []
        operation = Operation(name, operation_type, str(caller.id) if caller else None, codes)
        record = current_request.get()
        if record is None:
            report(operation, seconds=seconds, status=None, error_codes=codes)  # over a websocket
        elif answered:
            record.operation = operation  # the HTTP middleware reports it with the status
