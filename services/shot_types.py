"""Shot types: their writes and lookup by name."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ShotType
from services.caller import Caller
from services.errors import NotFoundError
from services.owned import Image, OwnedWrites
from services.visibility import ensure_member, object_filter

WHAT = "Shot type"

SHOT_TYPE_WRITES = OwnedWrites(
    ShotType,
    WHAT,
    images=(Image("reference_image", "reference_image_media_id", "input.referenceImageUrl"),),
    name_taken="A shot type with this name already exists here",
)


async def shot_type_by_name(
    session: AsyncSession, caller: Caller, name: str, *, organization_id: uuid.UUID | None
) -> ShotType:
    """The visible shot type with this name (any case). Several can match (an organization's, the caller's
    own, a public default): the organization's wins when one is given, then the caller's, then public ones."""
    scope: ColumnElement[bool]
    if organization_id is not None:
        ensure_member(caller, organization_id)
        scope = ShotType.organization_id == organization_id
    else:
        scope = ShotType.organization_id.is_(None) & (ShotType.owner_id == caller.id)
    preference = case((scope, 0), else_=1)
    row = await session.scalar(
        select(ShotType)
        .where(
            func.lower(ShotType.name) == name.strip().lower(),
            object_filter(caller, ShotType),
            or_(scope, ShotType.public.is_(True)),
        )
        .order_by(preference, ShotType.created_at)
        .limit(1)
    )
    if row is None:
        raise NotFoundError(WHAT)
    return row
