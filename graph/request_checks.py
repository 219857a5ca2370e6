"""Checks of a request's document and variables that graphql-core's validation does not make, run after it and
before anything executes, by the operation pipeline (graph/pipeline.py), in this module's order. Each is a plain
function returning its refusal, or None; the pipeline runs one only while no earlier one (nor validation) refused.
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
    OperationType,
    StringValueNode,
    ValueNode,
    Visitor,
    visit,
)
from starlette.requests import Request
from strawberry.types import ExecutionContext

from graph.refusals import BAD_REQUEST
from services.errors import BadUserInputError

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character"


def operation_name_error(document: DocumentNode, provided_name: str | None) -> GraphQLError | None:
    """A document with several operations needs `operationName` (the GraphQL spec's GetOperation); Strawberry
    would silently run the first one instead."""
    if provided_name is None and _operation_count(document) > 1:
        message = "Must provide operationName when the document contains several operations"
        return GraphQLError(message, extensions={"code": BAD_REQUEST})
    return None


def nul_error(variables: dict[str, Any] | None, document: DocumentNode, text: str | None) -> GraphQLError | None:
    """No text with a NUL character gets past the edge: PostgreSQL cannot store one in a text column, and no name,
    search or tag has a use for it. Every string in the variables and in the document's argument literals is
    checked, and each one that holds a NUL is named in a BAD_USER_INPUT's `fields` (by its variable's path, or
    its argument's: `input.name`, `search`)."""
    fields = {path: NUL_MESSAGE for path in nul_paths(variables or {})}
    # A literal can hold a NUL only as an escape (\u0000 or \u{0}): documents without one skip the walk.
    if text and "\\u" in text:
        fields.update(dict.fromkeys(_nul_paths_in_literals(document), NUL_MESSAGE))
    if not fields:
        return None
    error = BadUserInputError(fields)
    return GraphQLError(error.message, original_error=error)


def subscription_over_http_error(request: object, operation: OperationDefinitionNode) -> GraphQLError | None:
    """A subscription sent over plain HTTP would run its resolver as if it were a query (Strawberry allows it for
    its streaming HTTP transports, which this API does not serve) and answer a masked internal error; it is refused
    instead, saying where subscriptions are served."""
    if isinstance(request, Request) and operation.operation is OperationType.SUBSCRIPTION:
        message = "Subscriptions are served over a websocket at /graphql (graphql-transport-ws or graphql-ws)"
        return GraphQLError(message, extensions={"code": BAD_REQUEST})
    return None


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The `operationName` the request sent. Strawberry keeps it only privately (its public `operation_name`
    falls back to the first operation's name); tests/graph/test_transport.py fails if an upgrade renames it."""
    name: str | None = context._provided_operation_name
    return name


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
