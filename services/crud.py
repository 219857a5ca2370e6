"""Reads and soft deletes that every owned model shares, built on the visibility rules."""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.base import utcnow
from db.models import OrganizationMembership, User
from db.request_connection import RequestConnection
from db.shaped_select import NO_CONDITIONS, Conditions, Shaped, ShapedSelects
from services.caller import Caller
from services.errors import BadUserInputError, ConflictError, ForbiddenError, NotFoundError
from services.keyset import Ordering
from services.visibility import (
    can_read,
    ensure_can_delete,
    ensure_can_modify,
    ensure_can_transfer,
    ensure_member,
    ensure_superuser,
    list_filter,
    object_filter,
    resolve_new_owner,
)

RowT = TypeVar("RowT")

_UNIQUE_VIOLATION = "23505"


async def flush_or_conflict(session: AsyncSession, message: str) -> None:
    """Flush, turning a unique-constraint violation into CONFLICT (the database is the arbiter under races)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == _UNIQUE_VIOLATION or "23505" in str(exc.orig):
            raise ConflictError(message) from exc
        raise


async def get_visible(
    session: AsyncSession,
    caller: Caller,
    model: type[RowT],
    row_id: uuid.UUID,
    what: str,
    *,
    organization_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> RowT:
    """The live row if the caller may see it; NOT_FOUND otherwise (missing, deleted and hidden look the same).

    With `organization_id`, the row must also belong to that organization, which the caller must be in.
    """
    entity: Any = model
    conditions: list[ColumnElement[bool]] = [entity.id == row_id, object_filter(caller, entity)]
    if organization_id is not None:
        ensure_member(caller, organization_id)
        conditions.append(entity.organization_id == organization_id)
    statement = select(model).where(*conditions)
    if for_update:
        statement = statement.with_for_update()
    row = await session.scalar(statement)
    if row is None:
        raise NotFoundError(what)
    return row


def visible_or_not_found(
    caller: Caller, row: RowT | None, what: str, *, organization_id: uuid.UUID | None = None
) -> RowT:
    """`get_visible`'s rules for a row already loaded (None: there is none), in memory (services/visibility.can_read,
    the twin of its WHERE clause): the row if the caller may see it, NOT_FOUND otherwise. With `organization_id`
    the caller must be a member (checked first, as `get_visible` checks it before reading) and the row must belong
    to it."""
    if organization_id is not None:
        ensure_member(caller, organization_id)
    owned: Any = row
    if row is None or not can_read(caller, owned):
        raise NotFoundError(what)
    if organization_id is not None and owned.organization_id != organization_id:
        raise NotFoundError(what)
    return row


async def unseen_references(
    session: AsyncSession, caller: Caller, model: type[RowT], references: Mapping[str, uuid.UUID]
) -> list[str]:
    """The input paths (e.g. `input.baseImages.0.subjectId`) whose id names no live row of `model` the caller
    may read, in one query. Missing and hidden ids look the same, so nothing hidden is revealed."""
    if not references:
        return []
    entity: Any = model
    seen = set(
        await session.scalars(
            select(entity.id).where(entity.id.in_(set(references.values())), object_filter(caller, entity))
        )
    )
    return [path for path, row_id in references.items() if row_id not in seen]


async def ensure_visible(
    session: AsyncSession, caller: Caller, references: Iterable[tuple[type[Any], str, Mapping[str, uuid.UUID]]]
) -> None:
    """Every id named (for each model: what it is, and input path -> id) is a live row of that model the caller
    may read; else BAD_USER_INPUT naming each one that is not, all at once, a hidden id reading like a missing one
    (one query per model)."""
    problems: dict[str, str] = {}
    for model, what, named in references:
        for path in await unseen_references(session, caller, model, named):
            problems[path] = f"no {what} you can see has this id"
    if problems:
        raise BadUserInputError(problems)


async def list_visible(
    reader: Reader,
    caller: Caller,
    rows: PageRows,
    *,
    organization_id: uuid.UUID | None,
    include_public: bool = False,
    deleted: bool = False,
    filters: Sequence[ColumnElement[bool]] = (),
    order: Ordering,
    skip: int = 0,
    limit: int,
    after: Sequence[Any] | None = None,
    count: bool = True,
) -> ListedPage:
    """One page of the rows visible to the caller (`deleted`: of the soft-deleted ones instead) that `filters`
    keep, and their total count (`list_page`)."""
    visible = list_filter(
        caller, rows.model, organization_id=organization_id, include_public=include_public, deleted=deleted
    )
    return await list_page(
        reader, rows, where=[visible, *filters], order=order, skip=skip, limit=limit, after=after, count=count
    )


@dataclass(frozen=True, eq=False)
class PageRows:
    """What the rows of a list's pages hold: `select`, a SELECT of `model`'s columns without a WHERE (joined with
    more where the list's type shows more: storage keys, a subject's measurements), whose rows are `row_type`s (a
    named tuple class of its result columns). One per list, made when the schema is: it is part of the shape of
    every page statement made around it (services/crud.list_page)."""

    model: type[Any]
    select: Select[Any]
    row_type: type[Any]


_table_rows: dict[type[Any], PageRows] = {}


def table_rows(model: type[Any]) -> PageRows:
    """Rows of the model's table columns (the same object each time it is asked for)."""
    made = _table_rows.get(model)
    if made is None:
        entity: Any = model
        columns: list[Any] = list(entity.__table__.columns)
        # A named tuple class of the table's columns, made at runtime (one per model).
        row_type = namedtuple(f"{model.__name__}PageRow", [column.name for column in columns])  # type: ignore[misc]
        made = _table_rows[model] = PageRows(model, select(*columns), row_type)
    return made


@dataclass(frozen=True)
class Reader:
    """Where a read runs: the engine in autocommit mode (db/engine.read_engine) and the request's connection
    (db/request_connection.py; None outside an HTTP request: a pooled connection for the statement alone)."""

    engine: AsyncEngine
    connection: RequestConnection | None


def page_statement(
    model: type[Any],
    *,
    where: Sequence[ColumnElement[bool]],
    order: Ordering,
    skip: int = 0,
    limit: int,
    after: Sequence[Any] | None = None,
    count: bool = True,
) -> Select[Any]:
    """The statement `list_page` runs for rows of the model's table columns, with these values written in (what
    bench/keyset.py has PostgreSQL explain): the page and one row more, (`count`) with the total first."""
    return _page_select(
        table_rows(model),
        where,
        None if after is None else order.after(model, after),
        order,
        limit=limit + 1,
        offset=skip or None,
        count=count,
    )


def _page_select(
    rows: PageRows,
    where: Sequence[ColumnElement[bool]],
    after: ColumnElement[bool] | None,
    order: Ordering,
    *,
    limit: Any,
    offset: Any,
    count: bool,
) -> Select[Any]:
    """`rows` that `where` keeps, (with `after`) past a position, in `order`; `limit` and `offset` are values or
    parameters. With `count`, the total matching `where` is the first column (a keyed statement's key)."""
    statement = rows.select
    if count:
        total = select(func.count()).select_from(rows.model).where(*where).scalar_subquery().label(_PAGE_TOTAL)
        statement = statement.with_only_columns(total, *statement.selected_columns)
    statement = statement.where(*where)
    if after is not None:
        statement = statement.where(after)
    statement = statement.order_by(*order.order_by(rows.model)).limit(limit)
    return statement if offset is None else statement.offset(offset)


_PAGE_TOTAL = "page_total"  # the total's label: no table here has a column of that name
_PAGE_LIMIT = "page_limit"
_PAGE_OFFSET = "page_offset"


class _Total(NamedTuple):
    total: int


@dataclass(frozen=True)
class ListedPage:
    """A page of rows, whether more follow it, and (when asked for) how many rows match in all."""

    rows: list[Any]
    has_next: bool
    total: int | None


_pages: ShapedSelects[Any] = ShapedSelects()
_totals: ShapedSelects[_Total] = ShapedSelects()


async def list_page(
    reader: Reader,
    rows: PageRows,
    *,
    where: Sequence[ColumnElement[bool]],
    order: Ordering,
    skip: int = 0,
    limit: int,
    after: Sequence[Any] | None = None,
    count: bool = True,
) -> ListedPage:
    """One page of `rows` that `where` keeps, in `order`: past `skip` rows, or (keyset) after the row whose sort
    values are `after`; whether rows follow it; and, with `count`, the total matching `where`.

    One statement, on the driver (db/direct_select.py) and the request's connection: one row more than the page
    says whether another page follows, and the total comes with the page as a scalar subquery (each statement is
    a round trip, which on these machines costs more than the counting). The total is left out unless asked for:
    counting reads every matching row, which a keyset page otherwise never does. Only a page past the end, which
    has no row to carry the total, counts on its own. The statement is made and compiled once per shape of the
    conditions, order and page (db/shaped_select.py); each request binds its values."""
    conditions = Conditions.of(where)
    position = NO_CONDITIONS if after is None else Conditions.of([order.after(rows.model, after)])
    shape = (rows, order, conditions.shape, after is not None, position.shape, skip > 0, count)

    def make() -> Shaped[Any]:
        where_parameters, where_names = conditions.parameterised("w")
        after_parameters, after_names = position.parameterised("a")
        offset = bindparam(_PAGE_OFFSET, type_=Integer) if skip else None
        statement = _page_select(
            rows,
            where_parameters,
            and_(*after_parameters) if after_parameters else None,
            order,
            limit=bindparam(_PAGE_LIMIT, type_=Integer),
            offset=offset,
            count=count,
        )
        names = (*where_names, *after_names, _PAGE_LIMIT, *((_PAGE_OFFSET,) if skip else ()))
        return Shaped.of(statement, names, dialect=reader.engine.dialect, row_type=rows.row_type, keyed=count)

    page_select = _pages.get(shape, make)
    values = page_select.values((*conditions.values, *position.values, limit + 1, *((skip,) if skip else ())))
    totals: list[Any] = []
    if count:
        totals, page = await page_select.select.keyed_rows(reader.engine, *values, connection=reader.connection)
    else:
        page = await page_select.select.rows(reader.engine, *values, connection=reader.connection)
    has_next = len(page) > limit
    del page[limit:]
    total: int | None = None
    if count:
        if totals:
            total = int(totals[0])
        elif skip == 0 and after is None:
            total = 0
        else:
            total = await _count(reader, rows.model, conditions)
    return ListedPage(page, has_next, total)


async def _count(reader: Reader, model: type[Any], conditions: Conditions) -> int:
    """How many rows of `model` the conditions keep (a page past the end has no row to carry its total)."""

    def make() -> Shaped[_Total]:
        where_parameters, names = conditions.parameterised("w")
        statement = select(func.count().label("total")).select_from(model).where(*where_parameters)
        return Shaped.of(statement, names, dialect=reader.engine.dialect, row_type=_Total)

    total_select = _totals.get((model, conditions.shape), make)
    [row] = await total_select.select.rows(
        reader.engine, *total_select.values(conditions.values), connection=reader.connection
    )
    return row.total


def new_owned(
    caller: Caller,
    model: type[RowT],
    columns: Mapping[str, Any],
    *,
    owner_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> RowT:
    """A new row of an owned model (not added yet): in `organization_id` (members only), owned by the caller or,
    for a superuser, by `owner_id`."""
    if organization_id is not None:
        ensure_member(caller, organization_id)
    entity: Any = model
    row: RowT = entity(**columns, owner_id=resolve_new_owner(caller, owner_id), organization_id=organization_id)
    return row


async def changed_row(
    session: AsyncSession,
    caller: Caller,
    model: type[RowT],
    row_id: uuid.UUID,
    what: str,
    changes: dict[str, Any],
    *,
    organization_id: uuid.UUID | None,
) -> RowT:
    """The visible row, locked, with an update's given column values applied (`apply_changes` checks who may)."""
    row = await get_visible(session, caller, model, row_id, what, organization_id=organization_id, for_update=True)
    apply_changes(caller, row, changes, what)
    return row


async def soft_delete(
    session: AsyncSession,
    caller: Caller,
    model: type[RowT],
    row_id: uuid.UUID,
    what: str,
    *,
    organization_id: uuid.UUID | None = None,
) -> RowT:
    row = await get_visible(session, caller, model, row_id, what, organization_id=organization_id, for_update=True)
    owned: Any = row  # every model given here has an owner, an organization and `deleted_at`
    ensure_can_delete(caller, owned, what)
    owned.deleted_at = utcnow()
    await session.flush()
    return row


async def restore(session: AsyncSession, caller: Caller, model: type[RowT], row_id: uuid.UUID, what: str) -> RowT:
    """Undo a soft delete (superusers only, as the spec's restore endpoints say)."""
    ensure_superuser(caller)
    entity: Any = model
    row = await session.scalar(select(model).where(entity.id == row_id).with_for_update())
    if row is None:
        raise NotFoundError(what)
    deletable: Any = row  # every model given here has `deleted_at`
    if deletable.deleted_at is None:
        raise ConflictError(f"{what} is not deleted")
    deletable.deleted_at = None
    await flush_or_conflict(session, f"A live {what.lower()} already uses this name")
    return row


def apply_changes(caller: Caller, row: Any, changes: dict[str, Any], what: str) -> None:
    """Apply an update's given fields to an owned row; a transfer (`organization_id`) and a change of owner
    (`owner_id`) are checked against the rules first."""
    ensure_can_modify(caller, row, what)
    values = dict(changes)
    if "organization_id" in values:
        new_organization_id = values.pop("organization_id")
        ensure_can_transfer(caller, row, new_organization_id)
        row.organization_id = new_organization_id
    if "owner_id" in values:
        new_owner_id = values.pop("owner_id")
        if new_owner_id != row.owner_id:
            row.owner_id = resolve_new_owner(caller, new_owner_id)
    for name, value in values.items():
        setattr(row, name, value)


def like_pattern(search: str) -> str:
    """A case-insensitive "contains" pattern with the user's own % and _ taken literally."""
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def owner_filters(
    caller: Caller, model: Any, owner_id: uuid.UUID | None, *, with_public: bool = False
) -> list[ColumnElement[bool]]:
    """The `ownerId` list filter, which is for superusers only: that user's rows (`with_public`: and the public
    ones, as shot types list them)."""
    if owner_id is None:
        return []
    if not caller.is_superuser:
        raise ForbiddenError("Only superusers may filter by ownerId")
    owned: ColumnElement[bool] = model.owner_id == owner_id
    return [or_(model.public.is_(True), owned) if with_public else owned]


async def assign_owner(
    session: AsyncSession,
    caller: Caller,
    model: type[RowT],
    row_id: uuid.UUID,
    what: str,
    *,
    new_owner_id: uuid.UUID,
    organization_id: uuid.UUID | None,
) -> RowT:
    """Give a row to another (active) user; with `organization_id` also move it into that organization, of which
    the new owner must be a member. Without it the row stays where it is. Superusers only."""
    ensure_superuser(caller)
    row = await get_visible(session, caller, model, row_id, what, for_update=True)
    await check_new_owner(session, new_owner_id, organization_id, owner_field="newOwnerId")
    owned: Any = row
    owned.owner_id = new_owner_id
    if organization_id is not None:
        owned.organization_id = organization_id
    await session.flush()
    return row


async def check_new_owner(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID | None, *, owner_field: str
) -> None:
    """BAD_USER_INPUT unless `user_id` is an active user, and a member of `organization_id` when one is given."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise BadUserInputError({owner_field: "no active user has this id"})
    if organization_id is not None:
        membership = await session.scalar(
            select(OrganizationMembership.id).where(
                OrganizationMembership.organization_id == organization_id, OrganizationMembership.user_id == user_id
            )
        )
        if membership is None:
            raise BadUserInputError({"organizationId": "the new owner is not a member of this organization"})


async def set_lora_trigger(
    session: AsyncSession, caller: Caller, model: type[RowT], row_id: uuid.UUID, what: str, lora_trigger: str | None
) -> RowT:
    """Set the LoRA trigger word; None (or blank) clears it. Superusers only."""
    ensure_superuser(caller)
    row = await get_visible(session, caller, model, row_id, what, for_update=True)
    cleaned = lora_trigger.strip() if lora_trigger is not None else ""
    trained: Any = row
    trained.lora_trigger = cleaned or None
    await session.flush()
    return row
