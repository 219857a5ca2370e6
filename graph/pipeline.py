"""The operation pipeline: the edge's every step around an operation, in one schema extension, in one order.

Strawberry wraps each hook of each schema extension in a context manager of its own, looked up again for every
operation (`get_hook`, an exit stack, a generator): with the ten extensions this schema had, that machinery alone
was a quarter of a `{ __typename }` request's CPU. Here one extension runs the steps as plain calls to the modules
that own them, so their order is read in one place rather than derived from a list's order and the reverse order
of exits:

- operation start: the operation's span (graph/traced_operations.py, tracing on only); the validation rules
  (depth and alias limits) and the token limit;
- parsing: a kept document is handed over, a new one kept (graph/documents.py);
- validation: the document's validation, once per kept document (graph/documents.py); then, each only while
  nothing refused before it, the operation name, NUL characters, subscriptions over HTTP (graph/request_checks.py)
  and, last, the price and the caller's budget (graph/cost_limits.py): only a document that passed every other
  check is priced and charged. Everything runs before Strawberry reads `pre_execution_errors`;
- execution: an open subscription counted; after it, the cost settled;
- a streamed result (websocket): its errors given their codes, then noted;
- operation end, innermost first: the request's loaders released (graph/loaders.py), the answer's errors given
  their codes (graph/errors.py), the operation noted (graph/operations_seen.py), the span ended.

It hooks no `resolve`, which would send every request to graphql-core's own execution
(graph/execution/fallbacks.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from opentelemetry.trace import Tracer
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult
from strawberry.types.execution import StreamExecutionResult

from core.settings import Settings
from graph.context import Context
from graph.cost_limits import OperationCost, Prices, graphql_schema
from graph.documents import DocumentStore
from graph.errors import with_codes
from graph.metrics import SUBSCRIPTIONS_OPEN
from graph.operations_seen import error_codes, note_operation
from graph.request_checks import (
    nul_error,
    operation_name_error,
    provided_operation_name,
    subscription_over_http_error,
)
from graph.traced_operations import OperationSpan


@dataclass(frozen=True)
class PipelineParts:
    """What every operation of one schema shares: made once by build_schema (graph/schema.py)."""

    settings: Settings
    documents: DocumentStore
    prices: Prices
    # The depth and alias limiters' rules, made once: each limiter instance makes new rule classes.
    limit_rules: tuple[type[ASTValidationRule], ...]
    tracer: Tracer | None


class OperationPipeline(SchemaExtension):
    """One operation's pass through the edge (this module's docstring). Strawberry makes one per operation."""

    def __init__(self, parts: PipelineParts) -> None:
        super().__init__()
        self.parts = parts
        self.cost = OperationCost(parts.settings, parts.prices)
        self.subscribed = False
        # The codes of streamed results' errors (websocket operations), each read once it was given its code.
        self.streamed: list[str] | None = None
        self._operation_of: DocumentNode | None = None
        self._operation: OperationDefinitionNode | None = None

    def operation(self) -> OperationDefinitionNode | None:
        """The operation the request runs, found once its document is known (None before, or when the document
        has no such operation)."""
        document = self.execution_context.graphql_document
        if document is None:
            return None
        if document is not self._operation_of:
            self._operation_of = document
            self._operation = get_operation_ast(document, provided_operation_name(self.execution_context))
        return self._operation

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        request_context = context.context
        is_context = isinstance(request_context, Context)
        tracer = self.parts.tracer
        span = OperationSpan(tracer, request_context.request if is_context else None) if tracer else None
        try:
            context.validation_rules = context.validation_rules + self.parts.limit_rules
            context.parse_options["max_tokens"] = self.parts.documents.max_tokens
            started = time.perf_counter()
            answered = False
            try:
                try:
                    yield
                finally:
                    if is_context:
                        request_context.loaders.release()
                if self.streamed is None:  # a streamed result's errors were given their codes as it was sent
                    result = context.result
                    if isinstance(result, GraphQLExecutionResult | ExecutionResult):
                        with_codes(result)
                    elif initial_result := getattr(result, "initial_result", None):
                        with_codes(initial_result)
                answered = True
            finally:
                if self.subscribed:
                    SUBSCRIPTIONS_OPEN.dec()
                caller = request_context.caller if is_context else None
                note_operation(
                    self.operation(),
                    caller,
                    self._codes(answered),
                    seconds=time.perf_counter() - started,
                    answered=answered,
                )
        finally:
            if span is not None:
                span.end(self.operation(), context.query, self._codes(answered=True))

    def _codes(self, answered: bool) -> list[str]:
        if self.streamed is not None:
            return self.streamed
        # graphql-core's result, or Strawberry's for a refusal before execution: both have `errors`.
        return error_codes(getattr(self.execution_context.result, "errors", None)) if answered else []

    def on_parse(self) -> Iterator[None]:
        documents = self.parts.documents
        handed_over = documents.hand_over(self.execution_context)
        yield
        documents.take_parsed(self.execution_context, handed_over)

    async def on_validate(self) -> AsyncIterator[None]:
        # Before the yield: Strawberry decides on pre_execution_errors inside this hook, before its exit runs.
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            context.pre_execution_errors = self.parts.documents.validation_errors(
                context.query,
                document,
                lambda: validate_document(context.schema._schema, document, context.validation_rules),
            )
            if not context.pre_execution_errors:
                error = await self._check(document)
                if error is not None:
                    context.pre_execution_errors = [error]
        yield

    async def _check(self, document: DocumentNode) -> GraphQLError | None:
        """The first refusal of the edge's checks, in their order (graph/request_checks.py, then the cost)."""
        context = self.execution_context
        error = operation_name_error(document, provided_operation_name(context))
        if error is None:
            error = nul_error(context.variables, document, context.query)
        operation = self.operation()
        if error is None and operation is not None:
            error = subscription_over_http_error(getattr(context.context, "request", None), operation)
        request_context = context.context
        if error is None and operation is not None and isinstance(request_context, Context):
            schema = graphql_schema(context.schema)
            variables = context.variables or {}
            error = await self.cost.admit(context.query, document, operation, variables, schema, request_context)
        return error

    async def on_execute(self) -> AsyncIterator[None]:
        operation = self.operation()
        # A subscription runs from here until its stream closes, which ends the operation.
        if operation is not None and operation.operation is OperationType.SUBSCRIPTION:
            self.subscribed = True
            SUBSCRIPTIONS_OPEN.inc()
        try:
            yield
        finally:
            context = self.execution_context
            data = getattr(context.result, "data", None)  # no result when execution itself failed
            schema = graphql_schema(context.schema)
            await self.cost.settle(context.graphql_document, operation, data, schema, context.context)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        with_codes(result)
        for part in (*(getattr(result, "incremental", None) or ()), *(getattr(result, "completed", None) or ())):
            with_codes(part)
        try:
            yield
        finally:
            self.streamed = [*(self.streamed or ()), *error_codes(getattr(result, "errors", None))]

    def get_results(self) -> dict[str, object]:
        return self.cost.results()
