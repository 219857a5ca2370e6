"""The operation pipeline: the edge's every step around an operation, in one place, in one order.

Strawberry runs schema extensions through a runner that wraps each hook of each extension in a context manager of
its own, looked up again for every operation (`get_hook`, an exit stack, a generator per hook): with the ten
extensions this schema had, that machinery alone was a quarter of a `{ __typename }` request's CPU. Here the schema
has no extension: its runner (`PipelineRunner`, made by graph/schema.Schema for every operation, HTTP or websocket)
calls one `OperationPipeline`, whose steps are plain calls to the modules that own them, so their order is read
here rather than derived from a list's order and the reverse order of exits:

- operation start: the operation's span (graph/traced_operations.py, tracing on only); the validation rules
  (depth and alias limits) and the token limit;
- parsing: a kept document is handed over, a new one kept (graph/documents.py);
- validation: the document's validation, once per kept document (graph/documents.py); then, each only while
  nothing refused before it, the operation name, NUL characters, subscriptions over HTTP (graph/request_checks.py)
  and, last, the price and the caller's budget (graph/cost_limits.py): only a document that passed every other
  check is priced and charged. Everything runs before Strawberry reads `pre_execution_errors`;
- execution: an open subscription counted; after it (however it ended), the cost settled;
- a streamed result (websocket): its errors given their codes, then noted;
- operation end, innermost first: the request's loaders released (graph/loaders.py), the answer's errors given
  their codes unless it ended by an exception (graph/errors.py), the operation noted (graph/operations_seen.py),
  the span ended.

There is no `resolve` hook, which would send every request to graphql-core's own execution
(graph/execution/fallbacks.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

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
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext, ExecutionResult
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


class OperationPipeline:
    """One operation's pass through the edge (this module's docstring)."""

    def __init__(self, parts: PipelineParts, context: ExecutionContext) -> None:
        self.parts = parts
        self.context = context
        self.cost = OperationCost(parts.settings, parts.prices)
        self.subscribed = False
        # The codes of streamed results' errors (websocket operations), each read once it was given its code.
        self.streamed: list[str] | None = None
        self.span: OperationSpan | None = None
        self.started = 0.0
        self.handed_over = False
        self._operation_of: DocumentNode | None = None
        self._operation: OperationDefinitionNode | None = None

    def operation(self) -> OperationDefinitionNode | None:
        """The operation the request runs, found once its document is known (None before, or when the document
        has no such operation)."""
        document = self.context.graphql_document
        if document is None:
            return None
        if document is not self._operation_of:
            self._operation_of = document
            self._operation = get_operation_ast(document, provided_operation_name(self.context))
        return self._operation

    def begin(self) -> None:
        context = self.context
        request_context = context.context
        tracer = self.parts.tracer
        if tracer is not None:
            self.span = OperationSpan(tracer, request_context.request if isinstance(request_context, Context) else None)
        context.validation_rules = context.validation_rules + self.parts.limit_rules
        context.parse_options["max_tokens"] = self.parts.documents.max_tokens
        self.started = time.perf_counter()

    def end(self, failed: bool) -> None:
        """`failed`: the operation ended by an exception, which goes on once every step below has run."""
        context = self.context
        request_context = context.context
        answered = False
        try:
            try:
                if isinstance(request_context, Context):
                    request_context.loaders.release()
                if not failed:
                    self._give_codes()
                    answered = True
            finally:
                if self.subscribed:
                    SUBSCRIPTIONS_OPEN.dec()
                caller = request_context.caller if isinstance(request_context, Context) else None
                seconds = time.perf_counter() - self.started
                note_operation(self.operation(), caller, self._codes(answered), seconds=seconds, answered=answered)
        finally:
            if self.span is not None:
                self.span.end(self.operation(), context.query, self._codes(answered=True))

    def _give_codes(self) -> None:
        if self.streamed is not None:
            return  # a streamed result's errors were given their codes as it was sent
        result = self.context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult):
            with_codes(result)
        elif initial_result := getattr(result, "initial_result", None):
            with_codes(initial_result)

    def _codes(self, answered: bool) -> list[str]:
        if self.streamed is not None:
            return self.streamed
        # graphql-core's result, or Strawberry's for a refusal before execution: both have `errors`.
        return error_codes(getattr(self.context.result, "errors", None)) if answered else []

    def before_parse(self) -> None:
        self.handed_over = self.parts.documents.hand_over(self.context)

    def after_parse(self) -> None:
        self.parts.documents.take_parsed(self.context, self.handed_over)

    async def validate(self) -> None:
        """Sets `pre_execution_errors`: the document's validation errors, or the first check's refusal."""
        context = self.context
        document = context.graphql_document
        if document is None:
            return
        context.pre_execution_errors = self.parts.documents.validation_errors(
            context.query,
            document,
            lambda: validate_document(graphql_schema(context.schema), document, context.validation_rules),
        )
        if not context.pre_execution_errors:
            error = await self._check(document)
            if error is not None:
                context.pre_execution_errors = [error]

    async def _check(self, document: DocumentNode) -> GraphQLError | None:
        """The first refusal of the edge's checks, in their order (graph/request_checks.py, then the cost)."""
        context = self.context
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

    def before_execute(self) -> None:
        operation = self.operation()
        # A subscription runs from here until its stream closes, which ends the operation.
        if operation is not None and operation.operation is OperationType.SUBSCRIPTION:
            self.subscribed = True
            SUBSCRIPTIONS_OPEN.inc()

    async def after_execute(self) -> None:
        context = self.context
        data = getattr(context.result, "data", None)  # no result when execution itself failed
        schema = graphql_schema(context.schema)
        await self.cost.settle(context.graphql_document, self.operation(), data, schema, context.context)

    def before_stream_result(self, result: StreamExecutionResult) -> None:
        with_codes(result)
        for part in (*(getattr(result, "incremental", None) or ()), *(getattr(result, "completed", None) or ())):
            with_codes(part)

    def after_stream_result(self, result: StreamExecutionResult) -> None:
        self.streamed = [*(self.streamed or ()), *error_codes(getattr(result, "errors", None))]


class PipelineRunner(SchemaExtensionsRunner):
    """Strawberry's extensions runner, running the pipeline's steps where Strawberry runs its extensions' hooks:
    one object per step, no hook lookup, no exit stack. The steps that wait (validation's budget, the settlement)
    exist only as `async with`, which is all the asynchronous execution uses; `execute_sync` cannot run them."""

    def __init__(self, context: ExecutionContext, pipeline: OperationPipeline) -> None:
        super().__init__(context, [])
        self.pipeline = pipeline

    def operation(self) -> _OperationStep:  # type: ignore[override]
        return _OperationStep(self.pipeline)

    def parsing(self) -> _ParsingStep:  # type: ignore[override]
        return _ParsingStep(self.pipeline)

    def validation(self) -> _ValidationStep:  # type: ignore[override]
        return _ValidationStep(self.pipeline)

    def executing(self) -> _ExecutingStep:  # type: ignore[override]
        return _ExecutingStep(self.pipeline)

    def on_stream_result(self, result: StreamExecutionResult) -> _StreamResultStep:  # type: ignore[override]
        return _StreamResultStep(self.pipeline, result)

    def get_extensions_results_sync(self) -> dict[str, Any]:
        return {**self.pipeline.cost.results()}

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        return {**self.pipeline.cost.results(), **ctx.extensions_results}


class _OperationStep:
    __slots__ = ("pipeline",)

    def __init__(self, pipeline: OperationPipeline) -> None:
        self.pipeline = pipeline

    def __enter__(self) -> None:
        self.pipeline.begin()

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        self.pipeline.end(failed=error_type is not None)

    async def __aenter__(self) -> None:
        self.pipeline.begin()

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        self.pipeline.end(failed=error_type is not None)


class _ParsingStep:
    __slots__ = ("pipeline",)

    def __init__(self, pipeline: OperationPipeline) -> None:
        self.pipeline = pipeline

    def __enter__(self) -> None:
        self.pipeline.before_parse()

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is None:
            self.pipeline.after_parse()

    async def __aenter__(self) -> None:
        self.pipeline.before_parse()

    async def __aexit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is None:
            self.pipeline.after_parse()


class _ValidationStep:
    __slots__ = ("pipeline",)

    def __init__(self, pipeline: OperationPipeline) -> None:
        self.pipeline = pipeline

    async def __aenter__(self) -> None:
        await self.pipeline.validate()

    async def __aexit__(self, *_: object) -> None:
        return None


class _ExecutingStep:
    __slots__ = ("pipeline",)

    def __init__(self, pipeline: OperationPipeline) -> None:
        self.pipeline = pipeline

    async def __aenter__(self) -> None:
        self.pipeline.before_execute()

    async def __aexit__(self, *_: object) -> None:
        await self.pipeline.after_execute()


class _StreamResultStep:
    __slots__ = ("pipeline", "result")

    def __init__(self, pipeline: OperationPipeline, result: StreamExecutionResult) -> None:
        self.pipeline = pipeline
        self.result = result

    async def __aenter__(self) -> None:
        self.pipeline.before_stream_result(self.result)

    async def __aexit__(self, *_: object) -> None:
        self.pipeline.after_stream_result(self.result)
