"""Fields that name one row by id: the row, presented, while the caller may read it; null when there is none or it
is deleted or hidden. Written once as a level form (graph/execution/levels.py) that each resolver also calls for
its own object."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Any, TypeVar

from graph.context import Info
from graph.loaders import RowByIdLoader, load_each
from services.visibility import can_read

OutT = TypeVar("OutT")

OneByIdLevel = Callable[[list[Any], Info], Awaitable[list[Any]]]


def visible_one(
    loader_class: type[RowByIdLoader[Any]], id_attribute: str, present: Callable[[Any], OutT]
) -> OneByIdLevel:
    """The level form of a field naming a row of `loader_class` by the object's `id_attribute`."""
    read_id = attrgetter(id_attribute)

    async def level(objects: list[Any], info: Info) -> list[OutT | None]:
        loader = info.context.loaders.get(loader_class)
        ids: list[uuid.UUID | None] = [read_id(each) for each in objects]
        rows = await load_each(loader, ids)
        caller = info.context.require_caller()
        return [loader.presented(row, present) if row is not None and can_read(caller, row) else None for row in rows]

    return level
