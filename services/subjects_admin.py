"""What only superusers do with subjects: set the LoRA trigger, give subjects to another owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OrganizationMembership, Subject, User
from services.caller import Caller
from services.crud import get_visible
from services.errors import BadUserInputError, ForbiddenError, NotFoundError
from services.subjects import WHAT

MAX_BULK_SUBJECTS = 1000


def ensure_superuser(caller: Caller) -> None:
    if not caller.is_superuser:
        raise ForbiddenError("Superuser privileges required")


async def ensure_user_exists(session: AsyncSession, user_id: uuid.UUID) -> None:
    """For admin reads about one user: an unknown id is NOT_FOUND (superusers may learn who exists)."""
    if await session.get(User, user_id) is None:
        raise NotFoundError("User")


async def set_lora_trigger(
    session: AsyncSession, caller: Caller, subject_id: uuid.UUID, lora_trigger: str | None
) -> Subject:
    ensure_superuser(caller)
    row = await get_visible(session, caller, Subject, subject_id, WHAT, for_update=True)
    row.lora_trigger = lora_trigger
    await session.flush()
    return row


async def _check_new_owner(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID | None, *, owner_field: str
) -> None:
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


async def assign_owner(
    session: AsyncSession,
    caller: Caller,
    subject_id: uuid.UUID,
    new_owner_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None,
) -> Subject:
    """Give the subject to another user; with an organization, also move it there (the new owner must be a
    member). Without one, the subject stays in its organization."""
    ensure_superuser(caller)
    row = await get_visible(session, caller, Subject, subject_id, WHAT, for_update=True)
    await _check_new_owner(session, new_owner_id, organization_id, owner_field="newOwnerId")
    row.owner_id = new_owner_id
    if organization_id is not None:
        row.organization_id = organization_id
    await session.flush()
    return row


async def bulk_assign(
    session: AsyncSession,
    caller: Caller,
    user_id: uuid.UUID,
    subject_ids: Sequence[uuid.UUID],
    *,
    organization_id: uuid.UUID | None,
) -> int:
    """Give every listed subject to the user (and the organization, when given): all or nothing. Answers how
    many subjects were assigned."""
    ensure_superuser(caller)
    wanted = list(dict.fromkeys(subject_ids))
    if len(wanted) > MAX_BULK_SUBJECTS:
        raise BadUserInputError({"subjectIds": f"must contain at most {MAX_BULK_SUBJECTS} ids"})
    await _check_new_owner(session, user_id, organization_id, owner_field="userId")
    rows = list(
        await session.scalars(
            select(Subject)
            .where(Subject.id.in_(wanted), Subject.deleted_at.is_(None))
            .order_by(Subject.id)
            .with_for_update()
        )
    )
    found = {row.id for row in rows}
    missing = [subject_id for subject_id in wanted if subject_id not in found]
    if missing:
        raise NotFoundError(f"Subject {missing[0]}")
    for row in rows:
        row.owner_id = user_id
        if organization_id is not None:
            row.organization_id = organization_id
    await session.flush()
    return len(rows)
