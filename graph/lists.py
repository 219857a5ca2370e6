"""The list base: the one place where a list's arguments, filters and page are assembled.

Every list query (graph/crud.Crud.list) is a `Listing`: its own arguments (a dataclass, in schema order), then
`skip` and `limit`; its rows are those the caller may see (services/visibility.list_filter, for owned models)
narrowed by the filters the listing declares, read one page at a time with their total count
(services/crud.list_page). Sorting, richer filters and keyset pages for every list belong here.
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

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from graph.signatures import argument
from graph.validation import check_page
from services import crud
from services.caller import Caller

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ArgsT = TypeVar("ArgsT", bound="DataclassInstance")

DEFAULT_LIMIT = 100


def _unfiltered(caller: Caller, arguments: Any) -> list[ColumnElement[bool]]:
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
class Listing(Generic[ArgsT]):
    """A list's own arguments and how they narrow it.

    `arguments` is a dataclass whose fields are the list's arguments in schema order (their types and defaults
    are the schema's); `organization_id` and `include_public`, when among them, choose the visible set as
    services/visibility.list_filter says. The filters, in this order: `owner` (the `ownerId` argument), `equal`
    (each argument named here keeps, when given, the rows whose column of the same name holds its value),
    `search` (the `search` argument looks, case-insensitively, in these columns), then `where`: whatever else
    the domain answers for the caller and arguments (it may refuse, e.g. a filter for superusers only). `check`
    runs on the list's session before the page is read. Rows come sorted by `order_by` (ascending), then newest
    first, then by id.
    """

    arguments: type[ArgsT]
    owner: OwnerFilter | None = None
    equal: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    where: Callable[[Caller, ArgsT], Sequence[ColumnElement[bool]]] = _unfiltered
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
        """The list's arguments in schema order: its own, then the page's."""
        return [*self._parameters, argument("skip", int, 0), argument("limit", int, DEFAULT_LIMIT)]

    def check_columns(self, model: Any) -> None:
        """Every column `equal`, `search` and `order_by` name is the model's (found when the schema is built)."""
        missing = [name for name in (*self.equal, *self.search, *self.order_by) if not hasattr(model, name)]
        if missing:
            raise ValueError(f"{model.__name__} has no column {', '.join(missing)}")

    def filters(self, caller: Caller, model: Any, arguments: ArgsT) -> list[ColumnElement[bool]]:
        """The WHERE conditions these arguments ask for, besides visibility."""
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
        search: str | None = given.search if self.search else None
        if search:
            pattern = crud.like_pattern(search)
            filters.append(or_(*(getattr(model, name).ilike(pattern) for name in self.search)))
        return [*filters, *self.where(caller, arguments)]

    async def read(
        self,
        session: AsyncSession,
        caller: Caller,
        model: Any,
        given: dict[str, Any],
        *,
        visible: bool,
    ) -> tuple[list[Any], int]:
        """The page the GraphQL arguments `given` ask for, and the count of all rows matching: those the caller
        may see (`visible`; otherwise every row: a superuser's list) that the filters keep. Refusals come in
        the order they always did: the page, the filters, `check`, the organization."""
        skip: int = given.pop("skip", 0)
        limit: int = given.pop("limit", DEFAULT_LIMIT)
        check_page(skip, limit)
        arguments = self.arguments(**given)
        filters = self.filters(caller, model, arguments)
        order_by = [getattr(model, name) for name in self.order_by]
        if self.check is not None:
            await self.check(session, arguments)
        if not visible:
            return await crud.list_page(session, model, where=filters, order_by=order_by, skip=skip, limit=limit)
        return await crud.list_visible(
            session,
            caller,
            model,
            organization_id=getattr(arguments, "organization_id", None),
            include_public=getattr(arguments, "include_public", False),
            filters=filters,
            order_by=order_by,
            skip=skip,
            limit=limit,
        )


# The lists narrowed only by organization and ownerId, sorted by name (presets, guidelines).
OWNED_BY_NAME = Listing(OwnedArguments, owner=OwnerFilter.OWNED, order_by=("name",))
