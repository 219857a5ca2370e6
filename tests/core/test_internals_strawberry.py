"""Strawberry's private names that the schema and graph/execution/ build on (core/internals/strawberry.py) are still
there and shaped as they rely on. A failure here after an upgrade names what changed: adapt
core/internals/strawberry.py and graph/execution/, or keep Strawberry at the version pinned in pyproject.toml."""

from __future__ import annotations

import dataclasses
from importlib.metadata import version
from typing import NoReturn

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.types.info import Info

from core.internals import strawberry as internals
from core.internals.graphql_core import EXECUTOR_METHODS

UPGRADE = "Strawberry {version}: {what}. Adapt core/internals/strawberry.py and graph/execution/ to it."


def _fail(what: str) -> NoReturn:
    pytest.fail(UPGRADE.format(version=version("strawberry-graphql"), what=what))


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
            _fail(f"StrawberryGraphQLCoreExecutionContext has no {name}")


def test_a_basic_field_is_marked_and_a_field_with_a_resolver_is_not() -> None:
    thing = _thing_type(strawberry.Schema(query=Query))
    if not internals.is_default_resolver(thing.fields["plain"].resolve):
        _fail("the converter no longer marks a basic field's resolver `_is_default`")
    if internals.is_default_resolver(thing.fields["resolved"].resolve):
        _fail("a field with a resolver of its own is marked `_is_default`")


def test_the_strawberry_field_and_schema_are_reached_from_graphql_cores() -> None:
    schema = strawberry.Schema(query=Query)
    thing = _thing_type(schema)
    field = internals.strawberry_field_of(thing.fields["resolved"])
    if field is None or field.python_name != "resolved" or field.base_resolver is None:
        _fail("GraphQLField.extensions no longer holds the StrawberryField under DEFINITION_BACKREF")
    basic = internals.strawberry_field_of(thing.fields["plain"])
    if basic is None or not basic.is_basic_field:
        _fail("a basic StrawberryField is no longer is_basic_field")
    if internals.strawberry_schema_of(schema._schema) is not schema:
        _fail("a graphql-core schema no longer refers back to its Strawberry schema as _strawberry_schema")


def test_exception_handlers_are_seen() -> None:
    schema = strawberry.Schema(query=Query)
    if internals.has_exception_handlers(schema):
        _fail("a schema without exception handlers reports some")


def test_info_is_made_of_the_resolve_info_and_the_field() -> None:
    names = tuple(field.name for field in dataclasses.fields(Info))
    if names != internals.INFO_FIELDS:
        _fail(f"Info's fields are {names}, not {internals.INFO_FIELDS}")
    # Its path and context are read from the resolve info (graph/execution/infos.py overrides _raw_info).
    for name in ("path", "context"):
        if not isinstance(getattr(Info, name, None), property):
            _fail(f"Info.{name} is no longer a property")
