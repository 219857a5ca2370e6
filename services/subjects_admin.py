"""What only superusers do with subjects besides what every owned model has (services/crud.py): give many
subjects to one owner at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Subject, User
from services.caller import Caller
from services.crud import check_new_owner
from services.errors import BadUserInputError, NotFoundError
from services.visibility import ensure_superuser

MAX_BULK_SUBJECTS = 1000


async def ensure_user_exists(session: AsyncSession, user_id: uuid.UUID) -> None:
    """For admin reads about one user: an unknown id is NOT_FOUND (superusers may learn who exists)."""
    if await session.get(User, user_id) is None:
        raise NotFoundError("User")


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
    await check_new_owner(session, user_id, organization_id, owner_field="userId")
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
