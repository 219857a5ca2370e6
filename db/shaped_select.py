"""Statements around conditions made per request (a list's filters, its cursor), compiled once per shape.

A list's WHERE clause depends on the caller and the arguments (services/visibility.list_filter, the filters of
graph/list_options.py, a domain's own), so it is made per request. Building the whole page statement around it
each time (~30 columns, joins, the count's subquery, the order) and having SQLAlchemy find its compiled form (a
cache key of all of it) cost ~1 ms of CPU per list request, more than the page's own statement costs to run. Here
only the conditions are made per request: SQLAlchemy's cache key of them is their shape (every operator, column
and constant, but no value bound) and lists the values bound. The statement is built around them once per shape,
each value replaced by a named parameter (`Conditions.parameterised`), as a DirectSelect (db/direct_select.py):
compiled once per process, prepared once per connection, the request's values bound when it runs (`ShapedSelects`).

A condition binds no `IN (list)`: its SQL text would depend on the list's length (SQLAlchemy's "expanding"
parameter, rendered anew for each execution). `= ANY(:array)` says the same with one parameter; the other is
refused when its shape is first built.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.visitors import replacement_traverse

from core.internals.sqlalchemy import cache_key
from db.direct_select import DirectSelect

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class Conditions:
    """Conditions made for one request: their `shape` (what a statement compiled for them depends on) and the
    `values` they bind, in the order SQLAlchemy's cache key lists them (a parameter met twice: once)."""

    shape: Hashable
    values: tuple[Any, ...]
    elements: tuple[ColumnElement[bool], ...]
    binds: tuple[BindParameter[Any], ...]

    @classmethod
    def of(cls, elements: Sequence[ColumnElement[bool]]) -> Conditions:
        if not elements:
            return NO_CONDITIONS
        key = cache_key(and_(*elements))
        if key is None:
            raise TypeError(f"conditions without a cache key cannot be compiled once: {elements}")
        listed = key.bindparams
        # The first of each parameter, in order: by identity (a clause's `==` makes an expression).
        index_of: dict[int, int] = {}
        binds: list[BindParameter[Any]] = []
        for bind in listed:
            if index_of.setdefault(id(bind), len(binds)) == len(binds):
                binds.append(bind)
        # A parameter bound at two places is one value: where that happens is part of the shape too.
        reused = None if len(binds) == len(listed) else tuple(index_of[id(bind)] for bind in listed)
        return cls((key.key, reused), tuple(bind.effective_value for bind in binds), tuple(elements), tuple(binds))

    def parameterised(self, prefix: str) -> tuple[list[ColumnElement[bool]], tuple[str, ...]]:
        """The conditions with each value bound replaced by a named parameter, `prefix` and its index in `values`,
        and those names, in that order."""
        names = {id(bind): f"{prefix}{index}" for index, bind in enumerate(self.binds)}
        for bind in self.binds:
            if bind.expanding:
                raise TypeError(f"a list's condition binds `IN (list)` ({bind.key}): write `= ANY(array)` instead")

        def replace(element: Any, **_: Any) -> Any:
            if not isinstance(element, BindParameter):
                return None
            name = names.get(id(element))
            if name is None:
                raise TypeError(f"a value bound outside the conditions' cache key: {element.key}")
            return bindparam(name, type_=element.type)

        options: dict[str, Any] = {}
        replaced = [replacement_traverse(element, options, replace) for element in self.elements]
        return replaced, tuple(names.values())


NO_CONDITIONS = Conditions((), (), (), ())


@dataclass(frozen=True, slots=True)
class Shaped(Generic[RowT]):
    """A statement compiled for one shape: its DirectSelect, and where each of its parameters' values is among the
    values a request gives (`values`: the SQL numbers its parameters in its own order)."""

    select: DirectSelect[RowT]
    order: tuple[int, ...]

    def values(self, given: Sequence[Any]) -> list[Any]:
        """The request's values (in the order of the names the statement was made with), in the SQL's order."""
        return [given[index] for index in self.order]

    @classmethod
    def of(
        cls,
        statement: Select[Any],
        names: Sequence[str],
        *,
        dialect: Dialect,
        row_type: type[RowT],
        keyed: bool = False,
    ) -> Shaped[RowT]:
        """`statement`, whose parameters are `names` (each used, in any order), ready to run."""
        numbered = tuple(statement.compile(dialect=dialect).positiontup or ())
        if sorted(numbered) != sorted(names):
            raise TypeError(f"{row_type.__name__}: parameters {numbered} for the values {tuple(names)}")
        order = tuple(names.index(name) for name in numbered)
        return cls(DirectSelect(statement, parameter=numbered, row_type=row_type, keyed=keyed), order)


class ShapedSelects(Generic[RowT]):
    """The statements of one kind, one per shape (a hashable key saying everything their SQL depends on), made
    the first time that shape is asked for and kept for the process: a few dozen per list at most (which
    filters are given, the order, whether a cursor, `skip` and `count` are), whatever their values."""

    def __init__(self) -> None:
        self._made: dict[Hashable, Shaped[RowT]] = {}

    def get(self, shape: Hashable, make: Callable[[], Shaped[RowT]]) -> Shaped[RowT]:
        made = self._made.get(shape)
        if made is None:
            made = self._made[shape] = make()
        return made
