"""Who sees and who may change what: the one place these rules live (docs/api.md, "Who sees and changes what").

Every list and every get builds its WHERE clause here; every write checks `ensure_can_modify` /
`ensure_can_delete`. Soft-deleted rows are invisible everywhere except to restore.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, any_, false, literal, or_, true
from sqlalchemy.dialects.postgresql import ARRAY

from services.caller import Caller
from services.errors import ForbiddenError, NotFoundError


class OwnedRow(Protocol):
    @property
    def owner_id(self) -> Any: ...

    @property
    def organization_id(self) -> Any: ...


def ensure_superuser(caller: Caller) -> None:
    """The spec's "(admin only)" operations."""
    if not caller.is_superuser:
        raise ForbiddenError("Superuser privileges required")


def ensure_member(caller: Caller, organization_id: uuid.UUID) -> None:
    """Acting inside an organization needs membership (superusers act anywhere)."""
    if not caller.is_superuser and not caller.is_member(organization_id):
        raise ForbiddenError("You are not a member of this organization")


def list_filter(
    caller: Caller,
    model: Any,
    *,
    organization_id: uuid.UUID | None,
    include_public: bool = False,
    deleted: bool = False,
) -> ColumnElement[bool]:
    """Rows a list shows.

    With `organization_id`: that organization's rows (members only). Without: the caller's personal rows (no
    organization). `include_public` adds public rows. Superusers see every row, narrowed to the organization
    when one is given. Soft-deleted rows are left out, or (`deleted`, superusers only) are the only ones shown,
    so that they can be found and restored.
    """
    if deleted and not caller.is_superuser:
        raise ForbiddenError("Only superusers may list deleted objects")
    live = model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None)
    if organization_id is not None:
        ensure_member(caller, organization_id)
        scope: ColumnElement[bool] = model.organization_id == organization_id
    elif caller.is_superuser:
        scope = true()
    else:
        scope = and_(model.owner_id == caller.id, model.organization_id.is_(None))
    if include_public and hasattr(model, "public"):
        scope = or_(scope, model.public.is_(True))
    return and_(live, scope)


def object_filter(caller: Caller, model: Any, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """Rows a caller may read one by one: their own, their organizations', public ones; all for superusers."""
    live = true() if include_deleted else model.deleted_at.is_(None)
    if caller.is_superuser:
        return live
    organization_ids = caller.organization_ids
    visible = or_(
        model.owner_id == caller.id,
        # `= ANY(array)`: one parameter whatever the number of organizations (a list's condition too, through
        # services/upload_tasks.visible_tasks, compiled once per shape: db/shaped_select.py).
        model.organization_id == any_(literal(list(organization_ids), ARRAY(model.organization_id.type)))
        if organization_ids
        else false(),
        model.public.is_(True) if hasattr(model, "public") else false(),
    )
    return and_(live, visible)


def can_read(caller: Caller, row: OwnedRow) -> bool:
    """The in-memory twin of `object_filter`, for rows already loaded (e.g. by a dataloader)."""
    if getattr(row, "deleted_at", None) is not None:
        return False
    return (
        caller.is_superuser
        or row.owner_id == caller.id
        or (row.organization_id is not None and caller.is_member(row.organization_id))
        or bool(getattr(row, "public", False))
    )


def ensure_can_modify(caller: Caller, row: OwnedRow, what: str) -> None:
    """Update: the owner, members of the row's organization, superusers. Others get FORBIDDEN if they can
    read the row (a public one) and NOT_FOUND otherwise."""
    _ensure_allowed(caller, row, what, caller.is_member)


def ensure_can_delete(caller: Caller, row: OwnedRow, what: str) -> None:
    """Delete: the owner, owners of the row's organization, superusers."""
    _ensure_allowed(caller, row, what, caller.is_owner_of)


def _ensure_allowed(caller: Caller, row: OwnedRow, what: str, allowed_in: Callable[[uuid.UUID], bool]) -> None:
    """Superusers and the row's owner may; in an organization, whom `allowed_in(organization)` names."""
    if caller.is_superuser or row.owner_id == caller.id:
        return
    if row.organization_id is not None and allowed_in(row.organization_id):
        return
    if can_read(caller, row):
        raise ForbiddenError(f"You may not change this {what.lower()}")
    raise NotFoundError(what)


def resolve_new_owner(caller: Caller, requested_owner_id: uuid.UUID | None) -> uuid.UUID:
    """Creating on behalf of another user (`ownerId`) is for superusers only."""
    if requested_owner_id is None or requested_owner_id == caller.id:
        return caller.id
    if not caller.is_superuser:
        raise ForbiddenError("Only superusers may create objects for another owner")
    return requested_owner_id


def ensure_can_transfer(caller: Caller, row: OwnedRow, new_organization_id: uuid.UUID | None) -> None:
    """Organization transfer as documented: into an organization the caller belongs to; out of one (to personal)
    only by that organization's owner. Superusers may do both."""
    if new_organization_id == row.organization_id or caller.is_superuser:
        return
    if new_organization_id is not None:
        ensure_member(caller, new_organization_id)
    if row.organization_id is not None and not caller.is_owner_of(row.organization_id):
        raise ForbiddenError("Only the organization's owner may move this out of the organization")
