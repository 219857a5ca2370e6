"""Making the API's objects from loaded rows: a page makes ~1,000 of them (300 subjects of ~30 fields each on a
nested guidelines page), and a dataclass `__init__` with 30 keyword arguments, fed by 30 attribute reads, cost more
than decoding the rows. A presenter reads all the fields of a row with one `attrgetter` and fills the new
object's `__dict__` at once; it is exactly the dataclass's `__init__` for classes without `__post_init__`, which
Strawberry's types are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Row

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class _Reader:
    names: tuple[str, ...]  # the fields read from the row, in the order `read` answers them
    read: Callable[[Any], Any]  # row -> a tuple of those values
    defaults: dict[str, Any]  # fields the row lacks, with their default


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
        self._readers: dict[Any, _Reader] = {}

    def __call__(self, row: Any) -> T:
        shape = type(row)
        if shape is Row:  # one class for every statement's rows: their columns tell them apart
            shape = row._fields
        reader = self._readers.get(shape)
        if reader is None:
            reader = self._readers[shape] = self._reader_for(row)
        made = object.__new__(self.cls)
        values = made.__dict__
        if reader.defaults:
            values.update(reader.defaults)
        values.update(zip(reader.names, reader.read(row), strict=True))
        for name, convert in self.convert.items():
            values[name] = convert(values[name])
        return made

    def _reader_for(self, row: Any) -> _Reader:
        names: list[str] = []
        attributes: list[str] = []
        defaults: dict[str, Any] = {}
        for field in self.fields:
            attribute = self.renamed.get(field.name, field.name)
            if hasattr(row, attribute):
                names.append(field.name)
                attributes.append(attribute)
            elif field.default is not dataclasses.MISSING:
                defaults[field.name] = field.default
            else:
                raise TypeError(f"{self.cls.__name__}: the row has no {attribute!r} for field {field.name!r}")
        getter = attrgetter(*attributes)
        # attrgetter of one name answers the value itself, not a tuple of one.
        read = getter if len(attributes) > 1 else (lambda row: (getter(row),))
        return _Reader(tuple(names), read, defaults)


_presenters: dict[type[Any], RowPresenter[Any]] = {}


def present(cls: type[T], row: Any) -> T:
    """`cls` made from `row` by a `RowPresenter` without renames or conversions, made once per class."""
    presenter = _presenters.get(cls)
    if presenter is None:
        presenter = _presenters[cls] = RowPresenter(cls)
    return presenter(row)  # type: ignore[no-any-return]
