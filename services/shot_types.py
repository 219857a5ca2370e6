"""Shot types: creation, updates and lookup by name."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ShotType
from services.caller import Caller
from services.crud import changed_row, flush_or_conflict, new_owned
from services.errors import NotFoundError
from services.media import MediaService, MediaSource
from services.resources import Resources
from services.visibility import ensure_member, object_filter

WHAT = "Shot type"
NAME_TAKEN = "A shot type with this name already exists here"
REFERENCE_IMAGE_FIELD = "input.referenceImageUrl"


async def create_shot_type(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    *,
    columns: dict[str, Any],
    reference_image: MediaSource | None,
    owner_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> ShotType:
    row = new_owned(caller, ShotType, columns, owner_id=owner_id, organization_id=organization_id)
    if reference_image is not None:
        media = await MediaService(session, resources, caller).from_source(reference_image, field=REFERENCE_IMAGE_FIELD)
        row.reference_image_media_id = media.id
    session.add(row)
    await flush_or_conflict(session, NAME_TAKEN)
    return row


async def update_shot_type(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    shot_type_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    organization_id: uuid.UUID | None,
) -> ShotType:
    """`changes` holds only the given fields; `reference_image` (a MediaSource, or None to clear) among them."""
    values = dict(changes)
    reference_image_given = "reference_image" in values
    reference_image: MediaSource | None = values.pop("reference_image", None)
    row = await changed_row(session, caller, ShotType, shot_type_id, WHAT, values, organization_id=organization_id)
    if reference_image_given:
        media_id = None
        if reference_image is not None:
            media_id = (
                await MediaService(session, resources, caller).from_source(reference_image, field=REFERENCE_IMAGE_FIELD)
            ).id
        row.reference_image_media_id = media_id
    await flush_or_conflict(session, NAME_TAKEN)
    return row


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
