"""Every type, field, argument, input field, enum and enum value of the schema has a description (API.md, "Schema
documentation"), read from the built schema (not schema.graphql), and GraphiQL's introspection shows them."""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from typing import Annotated, get_args

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql.type import specified_scalar_types
from strawberry.types.arguments import StrawberryArgumentAnnotation

from graph.arguments import GLOSSARY, described
from graph.enums import described as described_enum
from graph.schema import schema
from tests.conftest import GraphQLClient

KINDS = ("type", "field", "argument", "input field", "enum value")


def undocumented(built: GraphQLSchema) -> dict[str, list[str]]:
    """What has no description, by kind: built-in scalars and introspection types aside (GraphQL's own)."""
    missing: dict[str, list[str]] = defaultdict(list)
    for name, named in built.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if not named.description:
            missing["type"].append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                if not field.description:
                    missing["field"].append(f"{name}.{field_name}")
                missing["argument"] += [
                    f"{name}.{field_name}({argument_name})"
                    for argument_name, argument in field.args.items()
                    if not argument.description
                ]
        elif isinstance(named, GraphQLInputObjectType):
            missing["input field"] += [
                f"{name}.{field_name}" for field_name, field in named.fields.items() if not field.description
            ]
        elif isinstance(named, GraphQLEnumType):
            missing["enum value"] += [
                f"{name}.{value_name}" for value_name, value in named.values.items() if not value.description
            ]
        else:
            assert isinstance(named, GraphQLScalarType | GraphQLUnionType), f"{name}: a kind this test does not read"
    return missing


def report(missing: dict[str, list[str]]) -> str:
    """The failure message: a count per kind, then every item, so that it shows all that is left."""
    counts = ", ".join(f"{len(missing[kind])} {kind}s" for kind in KINDS if missing[kind])
    items = "\n".join(f"  {kind}: {item}" for kind in KINDS for item in missing[kind])
    return f"undocumented: {counts}\n{items}"


def test_everything_in_the_schema_has_a_description() -> None:
    missing = undocumented(schema._schema)
    if any(missing.values()):
        pytest.fail(report(missing), pytrace=False)


# A schema with one undocumented item of every kind: the walk must report each, or its test proves nothing.
@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.input
class Paint:
    colour: Colour


@strawberry.type(name="Query")
class PaintQuery:
    @strawberry.field
    def paint(self, given: Paint) -> str:
        return given.colour.value


def test_the_walk_finds_each_kind_of_undocumented_item() -> None:
    missing = undocumented(strawberry.Schema(query=PaintQuery)._schema)
    assert missing == {
        "type": ["Query", "Paint", "Colour"],
        "field": ["Query.paint"],
        "argument": ["Query.paint(given)"],
        "input field": ["Paint.colour"],
        "enum value": ["Colour.RED"],
    }
    assert report(missing).splitlines()[0] == (
        "undocumented: 3 types, 1 fields, 1 arguments, 1 input fields, 1 enum values"
    )


async def test_graphiql_reads_the_descriptions_by_introspection(gql: GraphQLClient) -> None:
    data = await gql.data(
        """
        query Docs {
          viewAngle: __type(name: "ViewAngle") { description enumValues { name description } }
          uuid: __type(name: "UUID") { description }
          subscription: __type(name: "Subscription") { description fields { name args { name description } } }
        }
        """
    )
    assert data["viewAngle"]["description"] == "The side from which a shot type sees the subject."
    assert {"name": "FRONT", "description": "From the front, facing the camera."} in data["viewAngle"]["enumValues"]
    assert data["uuid"]["description"].startswith("A UUID in its canonical text form")
    progress = next(field for field in data["subscription"]["fields"] if field["name"] == "uploadTaskProgress")
    assert progress["args"] == [{"name": "taskId", "description": GLOSSARY["task_id"]}]


def _description(annotation: object) -> str | None:
    extras = [extra for extra in get_args(annotation)[1:] if isinstance(extra, StrawberryArgumentAnnotation)]
    return extras[0].description if extras else None


def test_a_shared_argument_takes_the_glossary_description_unless_it_has_its_own() -> None:
    assert _description(described("organization_id", uuid.UUID | None)) == GLOSSARY["organization_id"]
    own = Annotated[uuid.UUID | None, strawberry.argument(description="Move it into this organization.")]
    assert described("organization_id", own) is own
    assert described("not_in_the_glossary", int) is int


def test_an_enum_member_without_a_description_is_refused_at_import() -> None:
    class Size(enum.StrEnum):
        SMALL = "small"
        LARGE = "large"

    with pytest.raises(ValueError, match=r"Size: no description for \['LARGE'\]"):
        described_enum(Size, "A size.", {Size.SMALL: "Small."})
