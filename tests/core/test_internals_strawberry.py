"""Strawberry's private names that the schema and graph/execution/ build on (core/internals/strawberry.py) are still
there and shaped as they rely on. A failure here after an upgrade names what changed: adapt
core/internals/strawberry.py and graph/execution/, or keep Strawberry at the version pinned in pyproject.toml."""

from __future__ import annotations

import dataclasses
from importlib.metadata import version

import strawberry
from graphql import GraphQLObjectType
from strawberry.types.info import Info

from core.internals import strawberry as internals
from core.internals.graphql_core import EXECUTOR_METHODS
from tests.core.internals_checks import UpgradeCheck

CHECK = UpgradeCheck(
    library="Strawberry",
    installed=version("strawberry-graphql"),
    written_for=internals.WRITTEN_FOR,
    module="core/internals/strawberry.py",
    users="graph/execution/, graph/schema.py",
)


@strawberry.type
class Thing:
    plain: int
    private: strawberry.Private[int]

    @strawberry.field
    def resolved(self) -> int:
        return self.private


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(plain=1, private=2)


def _thing_type(schema: strawberry.Schema) -> GraphQLObjectType:
    thing = schema._schema.get_type("Thing")
    assert isinstance(thing, GraphQLObjectType)
    return thing


def test_the_execution_context_is_graphql_cores_executor_with_the_methods_the_fast_path_overrides() -> None:
    for name in EXECUTOR_METHODS:
        if not callable(getattr(internals.StrawberryGraphQLCoreExecutionContext, name, None)):
            CHECK.fail(f"StrawberryGraphQLCoreExecutionContext.{name}", "is gone")


def test_a_basic_field_is_marked_and_a_field_with_a_resolver_is_not() -> None:
    thing = _thing_type(strawberry.Schema(query=Query))
    if not internals.is_default_resolver(thing.fields["plain"].resolve):
        CHECK.fail("_is_default", "no longer marks a basic field's resolver")
    if internals.is_default_resolver(thing.fields["resolved"].resolve):
        CHECK.fail("_is_default", "marks a field with a resolver of its own")


def test_the_strawberry_field_and_schema_are_reached_from_graphql_cores() -> None:
    schema = strawberry.Schema(query=Query)
    thing = _thing_type(schema)
    field = internals.strawberry_field_of(thing.fields["resolved"])
    if field is None or field.python_name != "resolved" or field.base_resolver is None:
        CHECK.fail("DEFINITION_BACKREF", "no longer leads from a GraphQLField to its StrawberryField")
    basic = internals.strawberry_field_of(thing.fields["plain"])
    if basic is None or not basic.is_basic_field:
        CHECK.fail("StrawberryField.is_basic_field", "is false for a basic field")
    if internals.strawberry_schema_of(schema._schema) is not schema:
        CHECK.fail("_strawberry_schema", "no longer leads from a graphql-core schema to its Strawberry schema")


def test_exception_handlers_are_seen() -> None:
    schema = strawberry.Schema(query=Query)
    if internals.has_exception_handlers(schema):
        CHECK.fail("_exception_handler_specs", "is not empty in a schema without exception handlers")


def test_info_is_made_of_the_resolve_info_and_the_field() -> None:
    names = tuple(field.name for field in dataclasses.fields(Info))
    if names != internals.INFO_FIELDS:
        CHECK.fail("Info", f"has the fields {names}, not {internals.INFO_FIELDS}")
    # Its path and context are read from the resolve info (graph/execution/infos.py overrides _raw_info).
    for name in ("path", "context"):
        if not isinstance(getattr(Info, name, None), property):
            CHECK.fail(f"Info.{name}", "is no longer a property")
