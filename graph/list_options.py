"""What the lists of one type can be sorted and filtered by, declared once per type (`ListOptions`), and the
GraphQL inputs made from that declaration, the same way for every type: `<Type>Order` (`field:
<Type>OrderField!`, `direction: OrderDirection`) and `<Type>Filter` (`search`, each enum column as a list, each
boolean column, `createdAfter`/`createdBefore`, and `deleted` where the type has soft deletes).

A domain's queries.py declares only what is its own: the type's name, its sortable columns, its enum and boolean
columns, and the columns `search` looks in. graph/lists.py reads the inputs into SQL.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, any_, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY

from graph import enums as _registered_enums  # noqa: F401 - registers the model's enums with Strawberry
from services.crud import like_pattern
from services.keyset import SortKey


@strawberry.enum(description="The direction of a list's order.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending: A to Z, oldest first, smallest first.")
    DESC = strawberry.enum_value("DESC", description="Descending: Z to A, newest first, largest first.")


@dataclass(frozen=True)
class Sort:
    """One value of `<Type>OrderField`: its name and the column it sorts by."""

    field: str
    column: str
    description: str


BY_NAME = Sort("NAME", "name", "By name.")
BY_CREATED_AT = Sort("CREATED_AT", "created_at", "By creation time.")
BY_UPDATED_AT = Sort("UPDATED_AT", "updated_at", "By the time of the last change.")
NAME_AND_TIMES = (BY_NAME, BY_CREATED_AT, BY_UPDATED_AT)


@dataclass(frozen=True)
class Filtered:
    """A `<Type>Filter` as given: the values it holds (None: not given)."""

    search: str | None = None
    any_of: dict[str, list[Any]] = field(default_factory=dict)  # enum column -> the values to keep
    equal: dict[str, bool] = field(default_factory=dict)  # boolean column -> the value to keep
    created_after: datetime | None = None
    created_before: datetime | None = None
    deleted: bool = False


NOT_FILTERED = Filtered()
REQUIRED = object()  # the default of an input field that has none (a required field)


@dataclass(frozen=True)
class ListOptions:
    """The sorts and filters of the lists of one type (`type_name`: the GraphQL output type's, e.g. `Subject`)
    over `model`. Lists of the same type share one declaration, hence one `<Type>Order` and `<Type>Filter`.

    `search` names the text columns the `search` filter (and a list's own `search` argument) looks in,
    case-insensitively; `search_also` adds a condition of its own for a pattern (styles' tags). `choices` are
    enum columns (filtered by a list of values) and `flags` boolean columns."""

    type_name: str
    model: Any
    sort: tuple[Sort, ...]
    search: tuple[str, ...]
    choices: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    search_also: Callable[[str], ColumnElement[bool]] | None = None
    order_input: type[Any] = field(init=False, repr=False, compare=False)
    filter_input: type[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [
            name
            for name in (*(sort.column for sort in self.sort), *self.search, *self.choices, *self.flags)
            if name not in self.model.__table__.columns
        ]
        if missing:
            raise ValueError(f"{self.model.__name__} has no column {', '.join(missing)}")
        object.__setattr__(self, "order_input", self._order_input())
        object.__setattr__(self, "filter_input", self._filter_input())

    @property
    def soft_deletes(self) -> bool:
        return "deleted_at" in self.model.__table__.columns

    def sort_key(self, order: Any) -> SortKey:
        """The sort key an `<Type>Order` input asks for."""
        column: str = order.field.value
        return SortKey(column, descending=order.direction is OrderDirection.DESC)

    def read_filter(self, given: Any) -> Filtered:
        """A `<Type>Filter` input as `Filtered` (None: not filtered)."""
        if given is None:
            return NOT_FILTERED
        return Filtered(
            search=given.search,
            any_of={name: list(values) for name in self.choices if (values := getattr(given, name)) is not None},
            equal={name: value for name in self.flags if (value := getattr(given, name)) is not None},
            created_after=given.created_after,
            created_before=given.created_before,
            deleted=bool(getattr(given, "deleted", None)),
        )

    def search_condition(self, text: str | None) -> list[ColumnElement[bool]]:
        """`search`: the rows with `text` in any of the search columns (nothing when blank)."""
        if not text or not text.strip():
            return []
        pattern = like_pattern(text)
        terms = [getattr(self.model, name).ilike(pattern) for name in self.search]
        if self.search_also is not None:
            terms.append(self.search_also(pattern))
        return [or_(*terms)]

    def conditions(self, filtered: Filtered) -> list[ColumnElement[bool]]:
        """The WHERE conditions of a filter, but `deleted` (which chooses the visible set: services/visibility)."""
        conditions = self.search_condition(filtered.search)
        for name, values in filtered.any_of.items():
            # `= ANY(array)`, not `IN (list)`: one parameter whatever the list's length, so that the list's
            # statement is compiled once (db/shaped_select.py).
            column = getattr(self.model, name)
            conditions.append(column == any_(literal(values, ARRAY(column.type))))
        for name, value in filtered.equal.items():
            conditions.append(getattr(self.model, name).is_(value))
        if filtered.created_after is not None:
            conditions.append(self.model.created_at >= filtered.created_after)
        if filtered.created_before is not None:
            conditions.append(self.model.created_at < filtered.created_before)
        return conditions

    def _order_input(self) -> type[Any]:
        members = {sort.field: strawberry.enum_value(sort.column, description=sort.description) for sort in self.sort}
        make_enum: Any = enum.Enum  # its members are chosen at runtime, which mypy cannot follow
        members_enum: Any = make_enum(f"{self.type_name}OrderField", members)
        fields_enum = strawberry.enum(
            members_enum, description=f"What a list of {self.type_name} can be sorted by; ties are broken by id."
        )
        return _input(
            f"{self.type_name}Order",
            f"The order of a list of {self.type_name}: a field and a direction (ties are broken by id, in the same "
            "direction).",
            [
                ("field", fields_enum, REQUIRED, "What to sort by."),
                ("direction", OrderDirection, OrderDirection.ASC, "Ascending (the default) or descending."),
            ],
        )

    def _filter_input(self) -> type[Any]:
        columns = self.model.__table__.columns
        searched = ", ".join(_camel(name) for name in self.search)
        fields: list[tuple[str, Any, Any, str]] = [
            ("search", str | None, None, f"Case-insensitive text that {searched} must contain (any of them).")
        ]
        for name in self.choices:
            enum_class: Any = columns[name].type.enum_class
            values: Any = list[enum_class] | None
            fields.append((name, values, None, f"Only those whose {_camel(name)} is one of these."))
        for name in self.flags:
            fields.append((name, bool | None, None, f"Only those whose {_camel(name)} is this value."))
        fields += [
            ("created_after", datetime | None, None, "Only those created at or after this time."),
            ("created_before", datetime | None, None, "Only those created before this time."),
        ]
        if self.soft_deletes:
            fields.append(
                (
                    "deleted",
                    bool | None,
                    None,
                    "true: only soft-deleted ones, so that they can be found and restored (superusers only); "
                    "false or null: only live ones, as without a filter.",
                )
            )
        return _input(
            f"{self.type_name}Filter",
            f"Narrows a list of {self.type_name}: every condition given must hold.",
            fields,
        )


def _input(name: str, description: str, fields: Sequence[tuple[str, Any, Any, str]]) -> type[Any]:
    """A Strawberry input type `name` with these (python name, type, default, description) fields."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__}
    for python_name, annotation, default, field_description in fields:
        namespace["__annotations__"][python_name] = annotation
        if default is REQUIRED:
            namespace[python_name] = strawberry.field(description=field_description)
        else:
            namespace[python_name] = strawberry.field(default=default, description=field_description)
    made: type[Any] = strawberry.input(type(name, (), namespace), name=name, description=description)
    return made


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
