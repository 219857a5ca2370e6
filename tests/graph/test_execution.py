"""The breadth-first execution context answers exactly what graphql-core's own answers: data, errors, their paths
and null propagation, for plain fields, resolvers, async resolvers waiting on dataloaders, lists, unions, enums,
arguments, aliases, fragments and directives. Each case runs on a small schema under both contexts."""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections import Counter
from typing import Annotated, Any

import pytest
import strawberry
from aiodataloader import DataLoader
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.execution import BreadthFirstExecutionContext, fallbacks
from graph.execution.concurrently import Failed, settle_all
from graph.execution.levels import answers_levels


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    DEEP_BLUE = "deep blue"


class BatchCounter:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.calls: list[int] = []  # ranks whose `tags` resolver ran
        self.infos: list[strawberry.Info] = []  # what the `seen` resolver was given
        self.runs: list[str] = []  # "<resolver> <rank>" for each run of a counted resolver


def _ranks_doubled(items: list[Item], info: strawberry.Info) -> list[int]:
    """`doubled`'s level form: one call for a whole level of items."""
    info.context["runs"].extend(f"doubled level {item.rank}" for item in items)
    return [item.rank * 2 for item in items]


def _level_reading_path(items: list[Item], info: strawberry.Info) -> list[str | None]:
    """A level form with a bug: it reads the path (which a level's Info does not have), hoping to fall back."""
    try:
        return [str(info.path.as_list()) for _ in items]
    except Exception:
        return ["no path" for _ in items]


@strawberry.type
class Tag:
    label: str
    colour: Colour

    @strawberry.field
    def located(self, info: strawberry.Info, prefix: str = "at") -> str:
        info.context["infos"].append(info)
        return prefix + ":" + "/".join(map(str, info.path.as_list()))


@strawberry.type
class Item:
    id: uuid.UUID
    name: str
    price: float
    rank: int
    colour: Colour | None
    note: str | None
    code: str  # a plain non-null field, null in a broken item (a data bug graphql-core reports)
    broken: strawberry.Private[bool] = False

    @strawberry.field
    async def tags(self, info: strawberry.Info) -> list[Tag]:
        info.context["calls"].append(self.rank)
        return await info.context["tags"].load(self.rank)

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def fragile(self) -> str | None:
        if self.broken:
            raise ValueError(f"item {self.rank} is broken")
        await asyncio.sleep(0)
        return "fine"

    @strawberry.field
    def strict(self) -> str:
        if self.broken:
            raise ValueError("strict and broken")
        return "ok"

    @strawberry.field
    def null_in_non_null(self) -> str:
        return None  # type: ignore[return-value]  # a resolver bug: graphql-core reports it

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return "/".join(map(str, info.path.as_list()))

    @strawberry.field
    def where_or_nowhere(self, info: strawberry.Info) -> str:
        try:
            return "/".join(map(str, info.path.as_list()))
        except Exception:
            return "nowhere"  # never: every object's Info has its path, as under graphql-core

    @strawberry.field
    async def counted(self, info: strawberry.Info) -> int:
        info.context["runs"].append(f"counted {self.rank}")
        await asyncio.sleep(0)
        return self.rank

    @strawberry.field
    def counted_strict(self, info: strawberry.Info) -> str:
        info.context["runs"].append(f"counted_strict {self.rank}")
        if self.broken:
            raise ValueError("counted, strict and broken")
        return "ok"

    @strawberry.field
    @answers_levels(_ranks_doubled)
    def doubled(self, info: strawberry.Info) -> int:
        info.context["runs"].append(f"doubled per object {self.rank}")
        return _ranks_doubled([self], info)[0]

    @strawberry.field
    @answers_levels(_level_reading_path)
    def level_path(self, info: strawberry.Info) -> str | None:
        return _level_reading_path([self], info)[0]

    @strawberry.field
    def located(self, info: strawberry.Info, prefix: str = "at") -> str:
        # A resolver with arguments gets an Info of its own per object, so its path is each object's.
        info.context["infos"].append(info)
        return prefix + ":" + "/".join(map(str, info.path.as_list()))

    @strawberry.field
    def seen(self, info: strawberry.Info) -> int:
        info.context["infos"].append(info)
        return self.rank

    @strawberry.field
    async def children(self, info: strawberry.Info) -> list[Item]:
        # Ranks stay unique within a request (the tests count resolver runs by rank).
        return [make_item((self.rank + 1) * 10 + index, broken=self.broken and index == 1) for index in range(2)]


@strawberry.type
class Other:
    text: str


Thing = Annotated[Item | Other, strawberry.union("Thing")]


def make_item(rank: int, *, broken: bool = False) -> Item:
    return Item(
        id=uuid.UUID(int=rank),
        name=f"item {rank}",
        price=rank + 0.5,
        rank=rank,
        colour=Colour.DEEP_BLUE if rank % 2 else None,
        note=None if rank % 3 else f"note {rank}",
        code=None if broken else f"c{rank}",  # type: ignore[arg-type]
        broken=broken,
    )


@strawberry.type
class Query:
    @strawberry.field
    async def items(self, count: int = 3, broken: int = -1) -> list[Item]:
        await asyncio.sleep(0)
        return [make_item(rank, broken=rank == broken) for rank in range(count)]

    @strawberry.field
    def item(self, rank: int) -> Item | None:
        return make_item(rank) if rank >= 0 else None

    @strawberry.field
    def things(self) -> list[Thing]:
        return [make_item(1), Other(text="other")]

    @strawberry.field
    def matrix(self) -> list[list[int]]:
        return [[1, 2], [3]]


def schema_with(execution_context_class: type[Any]) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=execution_context_class)


BREADTH_FIRST = schema_with(BreadthFirstExecutionContext)
GRAPHQL_CORE = schema_with(StrawberryGraphQLCoreExecutionContext)


def tag_loader(counter: BatchCounter) -> DataLoader[int, list[Tag]]:
    async def load(ranks: list[int]) -> list[list[Tag]]:
        counter.batches.append(sorted(ranks))
        return [[Tag(label=f"tag {rank}.{index}", colour=Colour.RED) for index in range(rank % 3)] for rank in ranks]

    return DataLoader(load)


async def both(document: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any, BatchCounter]:
    """The answer of each context (data and errors as a client sees them), and the batches of the first."""
    answers = []
    counter = BatchCounter()
    for schema, batches in ((BREADTH_FIRST, counter), (GRAPHQL_CORE, BatchCounter())):
        context = {"tags": tag_loader(batches), "calls": batches.calls, "infos": batches.infos, "runs": batches.runs}
        result = await schema.execute(document, variable_values=variables, context_value=context)
        errors = sorted(
            ({"message": error.message, "path": error.path} for error in result.errors or []),
            key=lambda error: str(error["path"]),
        )
        answers.append({"data": result.data, "errors": errors})
    return answers[0], answers[1], counter


CASES = {
    "plain fields and enums": "{ items { id name price rank colour note } }",
    "nested async lists": "{ items(count: 5) { name tags { label colour } children { rank tags { label } } } }",
    "arguments, aliases and fragments": """
        query($times: Int!) { items { a: shout(times: $times) b: shout ...F } } fragment F on Item { rank name }""",
    "directives": """query($yes: Boolean!) { items { name @include(if: $yes) rank @skip(if: $yes) } }""",
    "a null object": "{ item(rank: -1) { name } present: item(rank: 4) { name colour } }",
    "unions and typename": "{ things { __typename ... on Item { name } ... on Other { text } } }",
    "nested lists of leaves": "{ matrix }",
    "an error in a nullable async field": "{ items(count: 4, broken: 2) { rank fragile } }",
    "an error in a non-null field nulls its parent": "{ items(count: 4, broken: 1) { rank strict } }",
    "an error deeper down": "{ items(count: 3, broken: 2) { rank children { rank strict } } }",
    "null in a non-null field": "{ items(count: 2) { rank nullInNonNull } }",
    "null in a plain non-null field": "{ items(count: 3, broken: 1) { rank code } item(rank: 1) { code } }",
    "resolvers reading their path": "{ items(count: 3) { where children { rank where } } }",
    "resolvers reading their path inside except Exception": "{ items(count: 3) { whereOrNowhere } }",
    "per-object paths through lists and nulls": """{ items(count: 4) { located(prefix: "i")
        tags { located(prefix: "t") } children { located children { rank located(prefix: "c") } } }
        item(rank: 2) { located } }""",
}


@pytest.mark.parametrize("document", CASES.values(), ids=CASES.keys())
async def test_answers_exactly_what_graphql_core_answers(document: str) -> None:
    breadth_first, graphql_core, _ = await both(document, {"times": 2, "yes": True})
    assert breadth_first == graphql_core
    assert breadth_first["data"] is not None or breadth_first["errors"]


async def test_key_order_follows_the_selection() -> None:
    breadth_first, _, _ = await both("{ items(count: 1) { tags { label } rank name } }")
    assert list(breadth_first["data"]["items"][0]) == ["tags", "rank", "name"]


async def test_all_objects_of_a_level_ask_their_loader_together() -> None:
    _, _, counter = await both("{ items(count: 6) { tags { label } children { tags { label } } } }")
    children = [(rank + 1) * 10 + index for rank in range(6) for index in range(2)]
    # Plain aiodataloader here (no BatchScheduler): a level's keys still go out in one batch, never one per object.
    assert {key for batch in counter.batches for key in batch} == {*range(6), *children}
    assert len(counter.batches) <= 2 and set(range(6)) <= set(counter.batches[0])
    # A clean answer comes from the breadth-first path alone: each resolver ran once (a fallback runs them again).
    assert sorted(counter.calls) == sorted([*range(6), *children])


async def test_each_object_gets_an_info_of_its_own_with_its_path() -> None:
    counter = BatchCounter()
    context = {"tags": tag_loader(counter), "calls": counter.calls, "infos": counter.infos}
    result = await BREADTH_FIRST.execute("{ items(count: 4) { seen } }", context_value=context)
    assert result.errors is None and [item["seen"] for item in result.data["items"]] == [0, 1, 2, 3]
    assert len(counter.infos) == 4 and len({id(info) for info in counter.infos}) == 4
    assert [info.path.as_list() for info in counter.infos] == [["items", index, "seen"] for index in range(4)]
    assert all(info.context is context and info.field_name == "seen" for info in counter.infos)


async def test_per_object_paths_are_made_on_the_breadth_first_path_itself() -> None:
    breadth_first, graphql_core, counter = await both(CASES["per-object paths through lists and nulls"])
    assert breadth_first == graphql_core and not breadth_first["errors"]
    # 4 items, their 3 tags (lists of 0, 1, 2 and 0), 8 children and 16 grandchildren, and the single item: each
    # resolved once, so no level was answered again by graphql-core.
    assert len(counter.infos) == 4 + 3 + 8 + 16 + 1


async def test_a_failing_level_is_answered_again_by_graphql_core() -> None:
    breadth_first, graphql_core, _ = await both("{ items(count: 3, broken: 1) { tags { label } strict } }")
    # `strict` is non-null and so are the items: the error nulls the whole list, and the answer with it.
    assert breadth_first == graphql_core and breadth_first["data"] is None


WITH_FAILING_SIBLINGS = {
    "an async sibling fails": "{ items(count: 4, broken: 2) { rank fragile counted doubled tags { label } } }",
    "a sync sibling fails a level down": """{ items(count: 3, broken: 2) { counted doubled
        children { counted fragile children { counted doubled tags { label } } } } }""",
}
# An error that nulls a parent: graphql-core cancels the siblings still running, so which of them ran at all
# depends on timing, under either context; none may run twice.
NULLING_ERRORS = {
    "a sync sibling fails, nulling its parent": """{ items(count: 4, broken: 1) { rank counted doubled
        children { rank counted countedStrict doubled tags { label } } } }""",
}


@pytest.mark.parametrize(
    "document",
    [*WITH_FAILING_SIBLINGS.values(), *NULLING_ERRORS.values()],
    ids=[*WITH_FAILING_SIBLINGS, *NULLING_ERRORS],
)
async def test_no_resolver_runs_twice_when_a_level_fails(document: str) -> None:
    breadth_first, graphql_core, counter = await both(document)
    assert breadth_first == graphql_core and breadth_first["errors"]
    assert counter.runs and Counter(counter.runs).most_common(1)[0][1] == 1
    assert counter.calls and Counter(counter.calls).most_common(1)[0][1] == 1
    if document in WITH_FAILING_SIBLINGS.values():
        # `doubled` ran as its level form alone (graphql-core calls the per-object form, which calls the level
        # form). After an error that stopped a level before its level form was called, graphql-core calls the
        # per-object form: once.
        assert not any(run.startswith("doubled per object") for run in counter.runs)
        graphql_core_counter = BatchCounter()
        context = {
            "tags": tag_loader(graphql_core_counter),
            "calls": graphql_core_counter.calls,
            "infos": graphql_core_counter.infos,
            "runs": graphql_core_counter.runs,
        }
        await GRAPHQL_CORE.execute(document, context_value=context)
        # Each resolver ran exactly once per object, as under graphql-core.
        assert sorted(counter.calls) == sorted(graphql_core_counter.calls)
        per_object = [run for run in graphql_core_counter.runs if run.startswith("doubled per object")]
        assert sorted(counter.runs) == sorted(run for run in graphql_core_counter.runs if run not in per_object)


async def test_a_level_form_reading_the_path_is_reported_as_an_error_for_each_object() -> None:
    counter = BatchCounter()
    context = {"tags": tag_loader(counter), "calls": counter.calls, "infos": counter.infos, "runs": counter.runs}
    result = await BREADTH_FIRST.execute("{ items(count: 3) { rank levelPath } }", context_value=context)
    # Not "no path" (the level form's `except Exception` cannot catch it), and not answered by the per-object form.
    assert result.data == {"items": [{"rank": rank, "levelPath": None} for rank in range(3)]}
    assert result.errors is not None
    assert sorted(error.path for error in result.errors) == [["items", rank, "levelPath"] for rank in range(3)]
    assert all("LevelInfoHasNoPath" in error.message for error in result.errors)


async def test_a_fallback_is_counted_and_logged_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    before = fallbacks.counts[fallbacks.UNCLEAN_LEVEL]
    with caplog.at_level("DEBUG", logger="graph.execution"):
        await both("{ items(count: 3, broken: 1) { fragile } }")
    assert fallbacks.counts[fallbacks.UNCLEAN_LEVEL] == before + 1
    [record] = [record for record in caplog.records if record.name == "graph.execution"]
    assert record.levelname == "DEBUG"
    assert "a level was not clean" in record.getMessage() and "item 1 is broken" in record.getMessage()


async def test_settle_all_keeps_order_and_failures_in_place() -> None:
    loop = asyncio.get_running_loop()
    shared = loop.create_future()

    async def waits(value: int) -> int:
        return value + await shared

    async def fails() -> int:
        await asyncio.sleep(0)  # a bare yield: one turn of the loop
        raise KeyError("gone")

    async def answers_at_once() -> str:
        return "now"

    loop.call_later(0.01, shared.set_result, 100)
    results = await settle_all([waits(1), fails(), answers_at_once(), waits(2), shared])
    assert results[0] == 101 and results[2] == "now" and results[3] == 102 and results[4] == 100
    assert isinstance(results[1], Failed) and isinstance(results[1].error, KeyError)


async def test_settle_all_cancelled_closes_what_it_was_running() -> None:
    closed = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            closed.set()

    task = asyncio.ensure_future(settle_all([forever()]))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed.is_set()
