"""The `of(row)` constructor most API types share: the type made from a loaded row, field by field."""

from __future__ import annotations

from typing import Generic, Self, TypeVar

from graph.presenting import present

RowT = TypeVar("RowT")


class Presented(Generic[RowT]):
    """A Strawberry type made from rows of `RowT` by `graph.presenting.present`: each field is the row's attribute
    of the same name; a field the row does not have (a relation, a storage key not loaded) keeps its default."""

    @classmethod
    def of(cls, row: RowT) -> Self:
        return present(cls, row)
