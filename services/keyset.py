"""The order a list is read in, and where a page that continues after a row starts (keyset pages).

An `Ordering` is a sequence of sort keys, the last being the id, so that no two rows tie and a position in the
list is the sort values of one row. The next page after a row is the rows that come strictly later in this order:
`WHERE (sort, id) > (:v, :id)` rather than `OFFSET`, so reading it costs the same at any depth.

NULLs sort as PostgreSQL sorts them by default, after every value in an ascending key and before every value in
a descending one (NULLS LAST / NULLS FIRST), so that the ORDER BY, the keyset predicate and a plain btree index
(scanned forwards or backwards) all agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, true, tuple_


@dataclass(frozen=True)
class SortKey:
    """One key of an order: a column of the model (by attribute name) and its direction."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class Ordering:
    """The keys rows come sorted by. Build it with `ordering`, which ends it with the id."""

    keys: tuple[SortKey, ...]

    def order_by(self, model: Any) -> list[ColumnElement[Any]]:
        columns = [(getattr(model, key.column), key.descending) for key in self.keys]
        return [column.desc() if descending else column for column, descending in columns]

    def values(self, row: Any) -> list[Any]:
        """A row's position: its value of each key."""
        return [getattr(row, key.column) for key in self.keys]

    def after(self, model: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        """The rows that come strictly after the row whose sort values are `values`."""
        columns = [getattr(model, key.column) for key in self.keys]
        directions = {key.descending for key in self.keys}
        if len(directions) == 1 and not any(_nullable(column) for column in columns):
            # One direction, no NULLs: a row comparison, which PostgreSQL reads as one index range.
            row = tuple_(*columns)
            position = tuple_(*(literal(value, column.type) for column, value in zip(columns, values, strict=True)))
            return row < position if self.keys[0].descending else row > position
        # Mixed directions or nullable keys: (k1 later) OR (k1 equal AND (k2 later OR ...)), with the first key's
        # bound repeated on its own so that an index on it still limits the scan.
        later: ColumnElement[bool] = false()
        for key, column, value in reversed(list(zip(self.keys, columns, values, strict=True))):
            later = or_(_later(column, value, key.descending), and_(_equal(column, value), later))
        first = self.keys[0]
        return and_(_at_or_later(columns[0], values[0], first.descending), later)


def ordering(*keys: SortKey) -> Ordering:
    """An order of these keys, ended by the id (ascending unless the first key is descending, so that a (key, id)
    index serves both directions) where the keys do not end with it already. A key repeating an earlier column is
    left out: it cannot change the order."""
    unique: list[SortKey] = []
    for key in keys:
        if all(key.column != seen.column for seen in unique):
            unique.append(key)
    if not unique or unique[-1].column != "id":
        unique.append(SortKey("id", descending=bool(unique) and unique[0].descending))
    return Ordering(tuple(unique))


def _nullable(column: Any) -> bool:
    return bool(getattr(column, "nullable", False))


def _later(column: Any, value: Any, descending: bool) -> Any:
    """The rows whose `column` comes strictly later than `value` (NULL last when ascending, first when descending)."""
    if not descending:
        if value is None:
            return false()
        return or_(column > value, column.is_(None)) if _nullable(column) else column > value
    if value is None:
        return column.is_not(None)
    return column < value


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _at_or_later(column: Any, value: Any, descending: bool) -> Any:
    if value is None:
        return column.is_(None) if not descending else true()
    if not descending:
        return or_(column >= value, column.is_(None)) if _nullable(column) else column >= value
    return column <= value
