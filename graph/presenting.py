"""Making the API's objects from loaded rows: a page makes ~1,000 of them (300 subjects of ~30 fields each on a
nested guidelines page), and a dataclass `__init__` with 30 keyword arguments, fed by 30 attribute reads, cost more
than decoding the rows. A presenter is a function written for the class and the row's shape, the way dataclasses
writes `__init__`: one assignment per field, read straight from the row (~0.9 us for a subject, against ~3 us).
It makes exactly what the class's `__init__` makes, for classes without `__post_init__`, which Strawberry's
types are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Row

T = TypeVar("T")


class RowPresenter(Generic[T]):
    """`cls` objects from rows (named tuples, SQLAlchemy rows or entities): each field is the row's attribute of
    the same name (or of the name in `renamed`), passed through `convert[field]` when given; a field the row does
    not have takes its default (a missing field without one is an error, found on the first row of its shape)."""

    def __init__(
        self,
        cls: type[T],
        *,
        renamed: Mapping[str, str] | None = None,
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__}: a presenter fills dataclasses without __post_init__")
        self.cls = cls
        self.fields = [field for field in dataclasses.fields(cls) if field.init]
        self.renamed = dict(renamed or {})
        self.convert = dict(convert or {})
        self._makers: dict[Any, Callable[[Any], T]] = {}

    def __call__(self, row: Any) -> T:
        shape = type(row)
        if shape is Row:  # one class for every statement's rows: their columns tell them apart
            shape = row._fields
        make = self._makers.get(shape)
        if make is None:
            make = self._makers[shape] = self._maker_for(row)
        return make(row)

    def _maker_for(self, row: Any) -> Callable[[Any], T]:
        """`make(row)`, written for rows shaped like this one."""
        namespace: dict[str, Any] = {"new": object.__new__, "cls": self.cls}
        lines = ["def make(row):", "    made = new(cls)"]
        for index, field in enumerate(self.fields):
            attribute = self.renamed.get(field.name, field.name)
            if not (field.name.isidentifier() and attribute.isidentifier()):
                raise TypeError(f"{self.cls.__name__}: {field.name!r} <- {attribute!r} is not a plain name")
            if hasattr(row, attribute):
                value = f"row.{attribute}"
            elif field.default is not dataclasses.MISSING:
                namespace[f"default_{index}"] = field.default
                value = f"default_{index}"
            else:
                raise TypeError(f"{self.cls.__name__}: the row has no {attribute!r} for field {field.name!r}")
            if field.name in self.convert:
                namespace[f"convert_{index}"] = self.convert[field.name]
                value = f"convert_{index}({value})"
            lines.append(f"    made.{field.name} = {value}")
        lines.append("    return made")
        exec("\n".join(lines), namespace)  # noqa: S102  (names checked above; values come from the namespace)
        make: Callable[[Any], T] = namespace["make"]
        return make


_presenters: dict[type[Any], RowPresenter[Any]] = {}


def present(cls: type[T], row: Any) -> T:
    """`cls` made from `row` by a `RowPresenter` without renames or conversions, made once per class."""
    presenter = _presenters.get(cls)
    if presenter is None:
        presenter = _presenters[cls] = RowPresenter(cls)
    return presenter(row)  # type: ignore[no-any-return]
