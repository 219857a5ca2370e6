"""graph/relations.relation: one declaration gives a relation field both of its forms. The breadth-first execution
calls the level form once per level; graphql-core's own execution calls the per-object resolver made from it, which
answers what the level form answers for that one object. Strawberry sees the attribute's annotation as the field's
type, with the description given."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import get_object_definition

from graph.execution import BreadthFirstExecutionContext
from graph.execution.levels import level_resolver_of
from graph.fields import field
from graph.relations import relation
from graph.schema import schema as app_schema


async def _doubled(boxes: Sequence[Box], info: Any) -> list[int]:
    info.context["levels"].append(("doubled", len(boxes)))
    await asyncio.sleep(0)
    return [box.rank * 2 for box in boxes]


def _labels(boxes: Sequence[Box], info: Any) -> list[str | Awaitable[str]]:
    """Answers at once, some answers still to be awaited (as media URLs without a loaded key are)."""
    info.context["levels"].append(("label", len(boxes)))
    return [f"odd {box.rank}" if box.rank % 2 else _later(f"even {box.rank}") for box in boxes]


async def _later(value: str) -> str:
    await asyncio.sleep(0)
    return value


async def _inner(boxes: Sequence[Box], info: Any) -> list[Box | None]:
    info.context["levels"].append(("inner", len(boxes)))
    return [Box(rank=box.rank + 10) if box.rank < 10 and box.rank % 3 else None for box in boxes]


@strawberry.type
class Box:
    rank: int
    doubled: int = relation(_doubled, description="The rank twice, a level at a time.")
    label: str = relation(_labels)
    inner: Box | None = relation(_inner, description="Another box; null for every third.")


@strawberry.type
class Query:
    @field(description="Boxes 0 to count - 1.")
    def boxes(self, count: int = 5) -> list[Box]:
        return [Box(rank=rank) for rank in range(count)]


DOCUMENT = "{ boxes { rank doubled label inner { rank doubled label } } }"


async def answer(execution_context_class: type[Any]) -> tuple[Any, list[tuple[str, int]]]:
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    levels: list[tuple[str, int]] = []
    result = await schema.execute(DOCUMENT, context_value={"levels": levels})
    assert result.errors is None, result.errors
    return result.data, levels


async def test_both_executions_answer_the_same_and_the_breadth_first_one_calls_each_level_once() -> None:
    breadth_first, levels = await answer(BreadthFirstExecutionContext)
    graphql_core, per_object = await answer(StrawberryGraphQLCoreExecutionContext)
    assert breadth_first == graphql_core
    assert breadth_first["boxes"][1] == {
        "rank": 1,
        "doubled": 2,
        "label": "odd 1",
        "inner": {"rank": 11, "doubled": 22, "label": "odd 11"},
    }
    assert breadth_first["boxes"][3]["inner"] is None and breadth_first["boxes"][4]["label"] == "even 4"
    # 5 boxes, then the 3 inner ones: one call per field and level.
    assert sorted(levels) == sorted([("doubled", 5), ("label", 5), ("inner", 5), ("doubled", 3), ("label", 3)])
    # graphql-core: the per-object form, which is the level form for one object.
    assert sorted(per_object) == sorted([("doubled", 1)] * 8 + [("label", 1)] * 8 + [("inner", 1)] * 5)


def test_strawberry_sees_the_annotation_and_the_description() -> None:
    printed = strawberry.Schema(query=Query).as_str()
    assert '  """The rank twice, a level at a time."""\n  doubled: Int!\n' in printed
    assert "  label: String!\n" in printed
    assert '  """Another box; null for every third."""\n  inner: Box\n' in printed


def test_the_planner_finds_the_level_form_on_the_field_resolver() -> None:
    fields = {each.python_name: each for each in get_object_definition(Box, strict=True).fields}
    assert level_resolver_of(fields["doubled"].base_resolver.wrapped_func) is _doubled
    assert level_resolver_of(fields["label"].base_resolver.wrapped_func) is _labels
    assert fields["rank"].base_resolver is None


def test_every_resolver_of_the_application_types_has_a_level_form_but_two_plain_ones() -> None:
    """Each relation of the API is declared with `relation`: only resolvers that compute from the object itself
    are left per object."""
    with_level, without = set(), set()
    for graphql_type in app_schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type.name in {"Query", "Mutation", "Subscription"}:
            continue
        for name, graphql_field in graphql_type.fields.items():
            strawberry_field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if strawberry_field is None or strawberry_field.base_resolver is None:
                continue
            has_level = level_resolver_of(strawberry_field.base_resolver.wrapped_func) is not None
            (with_level if has_level else without).add(f"{graphql_type.name}.{name}")
    assert without == {"MediaResource.url", "SubjectAdmin.loraFilename"}
    assert {
        "ShootingGuidelines.setDesign",
        "ShootingGuidelines.subjects",
        "GuidelinesShotTypeRuleGroup.shotTypes",
        "SetBaseImage.imageUrl",
        "SetBaseImage.imageMedia",
        "Subject.baseImages",
        "SubjectAdmin.measurements",
        "BaseImage.shotType",
        "BackgroundPreset.coverImageUrl",
        "User.organizations",
        "OrganizationMembership.organization",
    } <= with_level
