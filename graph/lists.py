"""The list base: the one place where a list's arguments, sorts, filters and pages are assembled.

Every list query (graph/crud.Crud.list) is a `Listing`: its own arguments (a dataclass, in schema order), then
`filter` and `orderBy` (the inputs of its type's `ListOptions`, graph/list_options.py), then the page: `skip`,
`limit` and `after`. Its rows are those the caller may see (services/visibility.list_filter, for owned models)
narrowed by the filters, read one page at a time (services/crud.list_page) with whether more follow, a cursor
for the next page, and (when the operation selects `count`) their total.

Pages: `skip` counts rows from the start (OFFSET: its cost grows with the depth); `after` takes the `endCursor`
of the previous page and continues after that row (a keyset predicate: the same cost at any depth). The cursor
holds the list and order it was made for (graph/cursors.py), so a cursor of another list or order is refused.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from graph import cursors
from graph.list_options import Filtered, ListOptions, OrderDirection
from graph.signatures import argument
from graph.validation import check_page
from services import crud
from services.caller import Caller
from services.keyset import Ordering, SortKey, ordering

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ArgsT = TypeVar("ArgsT", bound="DataclassInstance")

DEFAULT_LIMIT = 100
DEFAULT_ORDER = "default"  # the order token of a list read without orderBy (graph/cursors.py)


def _unfiltered(caller: Caller, arguments: Any, filtered: Filtered) -> list[ColumnElement[bool]]:
    return []


@dataclass(frozen=True)
class OwnedArguments:
    """The arguments of a list narrowed only by organization and owner (`ownerId`: see `OwnerFilter`)."""

    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


class OwnerFilter(Enum):
    """What a list's `ownerId` argument keeps (superusers only: services/crud.owner_filters)."""

    OWNED = "owned"  # that user's rows
    OWNED_OR_PUBLIC = "owned or public"  # that user's rows and the public ones


@dataclass(frozen=True)
class ReadPage:
    """What a list read: the page's rows, whether more follow, the cursor of its last row, and the total."""

    rows: list[Any]
    has_next: bool
    end_cursor: str | None
    total: int | None


@dataclass(frozen=True)
class Listing(Generic[ArgsT]):
    """A list's own arguments and how they narrow and sort it.

    `arguments` is a dataclass whose fields are the list's arguments in schema order (their types and defaults
    are the schema's); `organization_id` and `include_public`, when among them, choose the visible set as
    services/visibility.list_filter says. `options` declares the type's sorts and filters (`filter`, `orderBy`).
    The filters, in this order: `owner` (the `ownerId` argument), `equal` (each argument named here keeps, when
    given, the rows whose column of the same name holds its value), the `search` argument (when the list has
    one: as `filter.search`), the `filter` input, then `where`: whatever else the domain answers for the caller,
    arguments and filter (it may refuse, e.g. a filter for superusers only). `check` runs in a session of its own
    before the page is read. Without `orderBy`, rows come sorted by `order_by` (ascending), then newest first,
    then by id; with it, by its field, then by id in the same direction.
    """

    arguments: type[ArgsT]
    options: ListOptions
    owner: OwnerFilter | None = None
    equal: tuple[str, ...] = ()
    where: Callable[[Caller, ArgsT, Filtered], Sequence[ColumnElement[bool]]] = _unfiltered
    order_by: tuple[str, ...] = ()
    check: Callable[[AsyncSession, ArgsT], Awaitable[None]] | None = None
    _parameters: list[inspect.Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(self.arguments, include_extras=True)
        parameters = [
            argument(item.name, hints[item.name], item.default) for item in dataclasses.fields(self.arguments)
        ]
        object.__setattr__(self, "_parameters", parameters)

    def parameters(self) -> list[inspect.Parameter]:
        """The list's arguments in schema order: its own, the filter and order, then the page's."""
        return [
            *self._parameters,
            argument("filter", self.options.filter_input | None, None),
            argument("order_by", self.options.order_input | None, None),
            argument("skip", int, 0),
            argument("limit", int, DEFAULT_LIMIT),
            argument("after", str | None, None),
        ]

    def check_columns(self, model: Any) -> None:
        """Every column `equal` and `order_by` name is the model's, and the options are the model's (found when
        the schema is built)."""
        missing = [name for name in (*self.equal, *self.order_by) if not hasattr(model, name)]
        if missing:
            raise ValueError(f"{model.__name__} has no column {', '.join(missing)}")
        if self.options.model is not model:
            raise ValueError(f"{self.options.type_name}'s options are not for {model.__name__}")

    def filters(self, caller: Caller, model: Any, arguments: ArgsT, filtered: Filtered) -> list[ColumnElement[bool]]:
        """The WHERE conditions these arguments and this filter ask for, besides visibility."""
        given: Any = arguments  # the dataclass that `arguments` declares
        filters: list[ColumnElement[bool]] = []
        if self.owner is not None:
            with_public = self.owner is OwnerFilter.OWNED_OR_PUBLIC
            filters += crud.owner_filters(caller, model, given.owner_id, with_public=with_public)
        for name in self.equal:
            value = getattr(given, name)
            if value is not None:
                column = getattr(model, name)
                filters.append(column.is_(value) if isinstance(value, bool) else column == value)
        filters += self.options.search_condition(getattr(given, "search", None))
        filters += self.options.conditions(filtered)
        return [*filters, *self.where(caller, arguments, filtered)]

    def ordering(self, order: Any) -> tuple[Ordering, str]:
        """The order an `orderBy` input (None: the list's default) asks for, and its token in cursors."""
        if order is None:
            keys = [SortKey(name) for name in self.order_by]
            return ordering(*keys, SortKey("created_at", descending=True), SortKey("id")), DEFAULT_ORDER
        key = self.options.sort_key(order)
        direction = OrderDirection.DESC if key.descending else OrderDirection.ASC
        return ordering(key), f"{key.column}:{direction.value}"

    async def read(
        self,
        reader: crud.Reader,
        caller: Caller,
        rows: crud.PageRows,
        given: dict[str, Any],
        *,
        list_name: str,
        visible: bool,
        readable: ColumnElement[bool] | None = None,
        count: bool = True,
        session: Callable[[], AsyncSession],
    ) -> ReadPage:
        """The page of `rows` the GraphQL arguments `given` of the list `list_name` ask for: of the rows the caller
        may see (`visible`; otherwise every row `readable` keeps: a superuser's list, or a model with visibility of
        its own) that the filters keep; the total only with `count`. The page is read on `reader` (no session);
        `check`, when the list has one, runs in a `session()` of its own. Refusals come in the order they always
        did: the page (now with `after`), the filters, `check`, the organization."""
        model = rows.model
        skip: int = given.pop("skip", 0)
        limit: int = given.pop("limit", DEFAULT_LIMIT)
        after: str | None = given.pop("after", None)
        order, order_token = self.ordering(given.pop("order_by", None))
        filtered = self.options.read_filter(given.pop("filter", None))
        check_page(skip, limit, after)
        table = model.__table__.columns
        position = (
            None
            if after is None
            else cursors.decode(after, list_name, order_token, [table[key.column] for key in order.keys])
        )
        arguments = self.arguments(**given)
        filters = self.filters(caller, model, arguments, filtered)
        if self.check is not None:
            async with session() as checking:
                await self.check(checking, arguments)
        page_options: dict[str, Any] = {
            "order": order,
            "skip": skip,
            "limit": limit,
            "after": position,
            "count": count,
        }
        if not visible:
            where = [*filters, *([] if readable is None else [readable])]
            page = await crud.list_page(reader, rows, where=where, **page_options)
        else:
            page = await crud.list_visible(
                reader,
                caller,
                rows,
                organization_id=getattr(arguments, "organization_id", None),
                include_public=getattr(arguments, "include_public", False),
                deleted=filtered.deleted,
                filters=filters,
                **page_options,
            )
        end_cursor = cursors.encode(list_name, order_token, order.values(page.rows[-1])) if page.rows else None
        return ReadPage(page.rows, page.has_next, end_cursor, page.total)


def owned_by_name(options: ListOptions) -> Listing[OwnedArguments]:
    """A list narrowed only by organization and ownerId, sorted by name (presets, guidelines)."""
    return Listing(OwnedArguments, options, owner=OwnerFilter.OWNED, order_by=("name",))
