"""Relations: fields that answer what an object links to, declared once with both of their forms.

A relation is written as its level form (graph/execution/levels.py), `level(objects, info)`: the answers for a
whole level of objects, in their order. `relation(level)` makes the field from it, per-object resolver included:

    set_design: SetDesign | None = relation(
        visible_one(SetDesignByIdLoader, "set_design_id", SetDesign.of),
        description="The set design; null when there is none or you may not see it.",
    )

The breadth-first execution calls `level` once per level; graphql-core's own execution calls the per-object
resolver, which is `level([self], info)[0]` and nothing else, so the two cannot disagree. The attribute's
annotation is the field's GraphQL type for Strawberry and, for mypy, must be what the level answers per object.

A level is either a coroutine function answering a list, or a plain function answering a list at once whose items
may be awaitables (a media URL known from the row, or one still to load); graphql-core awaits what a resolver
returns, and the breadth-first path awaits such items.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Sequence
from operator import attrgetter
from typing import Protocol, TypeVar, cast, overload

import strawberry

from graph.context import Info
from graph.execution.levels import answers_levels
from graph.loaders import IdentifiedRow, RowByIdLoader, SessionLoader, load_each
from services.visibility import OwnedRow, can_read

SourceT = TypeVar("SourceT")
RowT = TypeVar("RowT")
OwnedRowT = TypeVar("OwnedRowT", bound=OwnedRow)
OwnedIdRowT = TypeVar("OwnedIdRowT", bound="OwnedIdentifiedRow")
OutT = TypeVar("OutT")


class Identified(Protocol):
    """An object whose relations are looked up by its own id."""

    @property
    def id(self) -> uuid.UUID: ...


class OwnedIdentifiedRow(IdentifiedRow, OwnedRow, Protocol):
    """A row loaded by its id (`RowByIdLoader`) that `can_read` decides on: what `visible_one` presents."""


# The two shapes of a level form: answers once awaited, or answers at once (each possibly an awaitable).
AwaitedLevel = Callable[[list[SourceT], Info], Awaitable[Sequence[OutT]]]
ImmediateLevel = Callable[[list[SourceT], Info], Sequence[OutT | Awaitable[OutT]]]


@overload
def relation(level: AwaitedLevel[SourceT, OutT], *, description: str | None = None) -> OutT: ...


@overload
def relation(level: ImmediateLevel[SourceT, OutT], *, description: str | None = None) -> OutT: ...


def relation(
    level: AwaitedLevel[SourceT, OutT] | ImmediateLevel[SourceT, OutT], *, description: str | None = None
) -> OutT:
    """The field whose answers for a level of objects are `level(objects, info)`; declared on a Strawberry type as
    `name: Type = relation(level, description=...)`, where `Type` is what the level answers for one object."""
    if inspect.iscoroutinefunction(level):
        awaited = cast(AwaitedLevel[SourceT, OutT], level)

        # `object`, not OutT, as the return type: Strawberry reads a resolver's annotations at runtime, where
        # OutT would be a type variable (a generic field); the field's type is the class attribute's annotation.
        async def resolve_awaited(self: SourceT, info: Info) -> object:
            return (await awaited([self], info))[0]

        resolve: Callable[[SourceT, Info], object] = resolve_awaited
    else:

        def resolve_immediate(self: SourceT, info: Info) -> object:
            answers = level([self], info)
            if inspect.isawaitable(answers):  # a plain function that answers an awaitable of the list
                return _first(answers)
            return answers[0]

        resolve = resolve_immediate
    field = strawberry.field(resolver=answers_levels(level)(resolve), description=description)
    # Strawberry replaces the attribute by the field; what the attribute answers is what the level answers.
    return cast(OutT, field)


async def _first(answers: Awaitable[Sequence[OutT]]) -> OutT:
    return (await answers)[0]


def visible_one(
    loader_class: type[RowByIdLoader[OwnedIdRowT]], id_attribute: str, present: Callable[[OwnedIdRowT], OutT]
) -> Callable[[Sequence[object], Info], Awaitable[list[OutT | None]]]:
    """The level form of a field naming a row of `loader_class` by the object's `id_attribute`: the row,
    presented, while the caller may read it; None when there is none or it is deleted or hidden."""
    read_id = attrgetter(id_attribute)

    async def level(objects: Sequence[object], info: Info) -> list[OutT | None]:
        loader = info.context.loaders.get(loader_class)
        ids: list[uuid.UUID | None] = [read_id(each) for each in objects]
        rows = await load_each(loader, ids)
        caller = info.context.require_caller()
        return [loader.presented(row, present) if row is not None and can_read(caller, row) else None for row in rows]

    return level


def row_by_parent(
    loader_class: type[SessionLoader[uuid.UUID, RowT | None]], present: Callable[[RowT], OutT]
) -> Callable[[Sequence[Identified], Info], Awaitable[list[OutT | None]]]:
    """The level form of a field answering the parent's one row of `loader_class` (keyed by the parent's id),
    presented; None when it has none."""

    async def level(parents: Sequence[Identified], info: Info) -> list[OutT | None]:
        rows = await info.context.loaders.get(loader_class).load_many([parent.id for parent in parents])
        return [present(row) if row is not None else None for row in rows]

    return level


def rows_by_parent(
    loader_class: type[SessionLoader[uuid.UUID, list[RowT]]], present: Callable[[RowT], OutT]
) -> Callable[[Sequence[Identified], Info], Awaitable[list[list[OutT]]]]:
    """The level form of a field answering the parent's rows of `loader_class` (keyed by the parent's id), in the
    loader's order, presented."""

    async def level(parents: Sequence[Identified], info: Info) -> list[list[OutT]]:
        row_lists = await info.context.loaders.get(loader_class).load_many([parent.id for parent in parents])
        return [[present(row) for row in rows] for rows in row_lists]

    return level


def visible_rows_by_parent(
    loader_class: type[SessionLoader[uuid.UUID, list[OwnedRowT]]], present: Callable[[OwnedRowT], OutT]
) -> Callable[[Sequence[Identified], Info], Awaitable[list[list[OutT]]]]:
    """`rows_by_parent` without the rows the caller may not read (deleted, or private to someone else)."""

    async def level(parents: Sequence[Identified], info: Info) -> list[list[OutT]]:
        row_lists = await info.context.loaders.get(loader_class).load_many([parent.id for parent in parents])
        caller = info.context.require_caller()
        return [[present(row) for row in rows if can_read(caller, row)] for rows in row_lists]

    return level
