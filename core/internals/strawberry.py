"""Strawberry's private names that the schema and the breadth-first execution (graph/execution/) build on.

Strawberry is pinned exactly (pyproject.toml). The execution context derives from Strawberry's own (exported by no
public module); a basic field is recognised by the marker Strawberry's converter sets on its default resolver; the
Strawberry schema and field behind graphql-core's are reached through Strawberry's back references; a resolver
with exception handlers configured is left to Strawberry; and resolvers are handed `Info` objects made from the
two fields Strawberry makes them from. tests/core/test_internals_strawberry.py checks every one of these against
the installed Strawberry.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLSchema
from strawberry.schema.schema import Schema, StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# The version this module was written for (the tests name it when a check fails).
WRITTEN_FOR = "0.341.2"

__all__ = [
    "INFO_FIELDS",
    "StrawberryGraphQLCoreExecutionContext",
    "has_exception_handlers",
    "is_default_resolver",
    "strawberry_field_of",
    "strawberry_schema_of",
]

# The fields Strawberry's `Info` dataclass is made of, in order: graphql-core's resolve info and the field.
INFO_FIELDS = ("_raw_info", "_field")


def is_default_resolver(resolve: Any) -> bool:
    """Whether graphql-core's resolver of a field is the one Strawberry's converter makes for a field without a
    resolver of its own (it marks it `_is_default`)."""
    return bool(getattr(resolve, "_is_default", False))


def strawberry_field_of(field_def: GraphQLField) -> StrawberryField | None:
    field: StrawberryField | None = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return field


def strawberry_schema_of(schema: GraphQLSchema) -> Schema | None:
    """The Strawberry schema a graphql-core schema was made by (Strawberry's back reference)."""
    strawberry_schema: Schema | None = getattr(schema, "_strawberry_schema", None)
    return strawberry_schema


def has_exception_handlers(schema: Schema) -> bool:
    """Whether the schema's converter wraps resolvers in exception handlers (then Strawberry must call them)."""
    return bool(schema.schema_converter._exception_handler_specs)
