"""Checks of a request's document and variables that graphql-core's validation does not make, run after it and
before anything executes (Strawberry schema extensions, listed after ValidationCache in graph/schema.py).

Strawberry decides on `pre_execution_errors` inside the validation hook, before the hooks' exits run, so each
check sets its error before its `yield`; ValidationCache, listed first, has already put the document's own
validation errors there, and those come first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    Visitor,
    visit,
)
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.refusals import BAD_REQUEST
from services.errors import BadUserInputError

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character"


class OperationNameRequired(SchemaExtension):
    """A document with several operations needs `operationName` (the GraphQL spec's GetOperation); Strawberry
    would silently run the first one instead."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        unnamed = not context.pre_execution_errors and provided_operation_name(context) is None
        if unnamed and document is not None and _operation_count(document) > 1:
            message = "Must provide operationName when the document contains several operations"
            context.pre_execution_errors = [GraphQLError(message, extensions={"code": BAD_REQUEST})]
        yield


class SubscriptionsOverWebsockets(SchemaExtension):
    """A subscription sent over plain HTTP would run its resolver as if it were a query (Strawberry allows it for
    its streaming HTTP transports, which this API does not serve) and answer a masked internal error; it is refused
    instead, saying where subscriptions are served."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            request = getattr(context.context, "request", None)
            if isinstance(request, Request) and _operation_type(context) is OperationType.SUBSCRIPTION:
                message = "Subscriptions are served over a websocket at /graphql (graphql-transport-ws or graphql-ws)"
                context.pre_execution_errors = [GraphQLError(message, extensions={"code": BAD_REQUEST})]
        yield


def _operation_type(context: ExecutionContext) -> OperationType | None:
    try:
        return context.operation_type
    except RuntimeError:  # no such operation: reported by Strawberry itself
        return None


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The `operationName` the request sent. Strawberry keeps it only privately (its public `operation_name`
    falls back to the first operation's name); tests/graph/test_transport.py fails if an upgrade renames it."""
    name: str | None = context._provided_operation_name
    return name


class RefuseNulCharacters(SchemaExtension):
    """No text with a NUL character gets past the edge: PostgreSQL cannot store one in a text column, and no name,
    search or tag has a use for it. Every string in the variables and in the document's argument literals is
    checked, and each one that holds a NUL is named in a BAD_USER_INPUT's `fields` (by its variable's path, or
    its argument's: `input.name`, `search`)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            # A literal can hold a NUL only as an escape (\u0000 or \u{0}): documents without one skip the walk.
            fields = {path: NUL_MESSAGE for path in nul_paths(context.variables or {})}
            if context.graphql_document is not None and context.query and "\\u" in context.query:
                fields.update(dict.fromkeys(_nul_paths_in_literals(context.graphql_document), NUL_MESSAGE))
            if fields:
                error = BadUserInputError(fields)
                context.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
        yield


def nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """The dotted path of every string holding a NUL in decoded JSON (keys as they are: variables, metadata)."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}.{index}")


def _nul_paths_in_literals(document: DocumentNode) -> list[str]:
    found: list[str] = []

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            found.extend(_nul_paths_in_literal(node.value, node.name.value))

    visit(document, Arguments())
    return found


def _nul_paths_in_literal(node: ValueNode, path: str) -> Iterator[str]:
    if isinstance(node, StringValueNode):
        if NUL in node.value:
            yield path
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _nul_paths_in_literal(field.value, f"{path}.{field.name.value}")
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _nul_paths_in_literal(item, f"{path}.{index}")
