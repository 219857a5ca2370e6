"""The answer of every list: a page of `data`, the `count` of all rows matching, and `pageInfo`.

Every list type (`Subjects`, `Styles`, ...) is made here by `page_type`, the same three fields for each type, so
that a frontend reads every list the same way.
"""

from __future__ import annotations

import types
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

ItemT = TypeVar("ItemT")


@strawberry.type(description="Where a page ends, and whether more rows follow it.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether rows follow this page, in this order and with these filters."
    )
    end_cursor: str | None = strawberry.field(
        description="The position of the page's last row: pass it as `after` (with the same order) to read the "
        "page that follows; null on an empty page."
    )


@strawberry.type
class ListPage(Generic[ItemT]):
    data: list[ItemT] = strawberry.field(description="The page's rows, in the list's order.")
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
    page_info: PageInfo = strawberry.field(description="Where this page ends, and whether more follow.")


# What `count` holds when the operation does not select it (counting reads every matching row, graph/lists.py):
# not an int, so that reading it anyway could only fail (GraphQL cannot serialise it as Int), never answer a
# wrong total. A plain field rather than a resolver: the fast execution reads plain fields directly.
NOT_COUNTED: Any = object()


_made: dict[str, tuple[type[Any], type[ListPage[Any]]]] = {}


def page_type(name: str, item: type[Any]) -> type[ListPage[Any]]:
    """The list type `name` (e.g. `Subjects`) of pages of `item`; the same class each time it is asked for."""
    made = _made.get(name)
    if made is not None:
        if made[0] is not item:
            raise ValueError(f"{name} is already a page of {made[0].__name__}")
        return made[1]
    specialized: Any = ListPage[item]  # type: ignore[valid-type]  # a type chosen at runtime
    subclass = types.new_class(name, (specialized,), {}, lambda namespace: namespace.update(__module__=__name__))
    page: type[ListPage[Any]] = strawberry.type(
        subclass, name=name, description=f"A page of {item.__name__} items, with the count of all that match."
    )
    _made[name] = (item, page)
    return page


COUNT_FIELD = "count"


def selects(info: Any, *path: str) -> bool:
    """Whether the operation selects the field at `path` (a field of the list field being resolved, a field of that
    field, ...), under any alias, fragment or directive (a field that @skip leaves out still counts: asking for too
    much is only slower)."""
    return any(
        _selects(selected.selections, path) for selected in info.selected_fields if isinstance(selected, SelectedField)
    )


def _selects(selections: list[Selection], path: tuple[str, ...]) -> bool:
    name, rest = path[0], path[1:]
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name and (not rest or _selects(selection.selections, rest)):
                return True
        elif isinstance(selection, FragmentSpread | InlineFragment) and _selects(selection.selections, path):
            return True
    return False
