"""Pose presets: a pose (prompt and image) for one shot type."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MediaResource, PosePreset, ShotType
from services.caller import Caller
from services.crud import changed_row, new_owned, unseen_references
from services.errors import BadUserInputError
from services.media import MediaService, MediaSource
from services.resources import Resources

WHAT = "Pose preset"
POSE_IMAGE_FIELD = "input.poseImage"
SHOT_TYPE_FIELD = "input.shotTypeId"


async def create_pose_preset(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    *,
    columns: dict[str, Any],
    pose_image: MediaSource | None,
    owner_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> PosePreset:
    row = new_owned(caller, PosePreset, columns, owner_id=owner_id, organization_id=organization_id)
    await _ensure_shot_type_visible(session, caller, columns["shot_type_id"])
    if pose_image is not None:
        row.pose_image_media_id = (await _ingest(session, resources, caller, pose_image)).id
    session.add(row)
    await session.flush()
    return row


async def update_pose_preset(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    preset_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    organization_id: uuid.UUID | None,
) -> PosePreset:
    """Apply the given fields; `pose_image` (a MediaSource, or None to clear) replaces the image."""
    values = dict(changes)
    pose_image_given = "pose_image" in values
    pose_image: MediaSource | None = values.pop("pose_image", None)
    row = await changed_row(session, caller, PosePreset, preset_id, WHAT, values, organization_id=organization_id)
    if "shot_type_id" in values:
        await _ensure_shot_type_visible(session, caller, values["shot_type_id"])
    if pose_image_given:
        row.pose_image_media_id = (
            (await _ingest(session, resources, caller, pose_image)).id if pose_image is not None else None
        )
    await session.flush()
    return row


async def _ensure_shot_type_visible(session: AsyncSession, caller: Caller, shot_type_id: uuid.UUID) -> None:
    if await unseen_references(session, caller, ShotType, {SHOT_TYPE_FIELD: shot_type_id}):
        raise BadUserInputError({SHOT_TYPE_FIELD: "no shot type you can see has this id"})


async def _ingest(session: AsyncSession, resources: Resources, caller: Caller, source: MediaSource) -> MediaResource:
    return await MediaService(session, resources, caller).from_source(source, field=POSE_IMAGE_FIELD)
