from __future__ import annotations

import uuid

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.common.inputs import image_change, ownership_changes, source_of
from graph.crud import Write
from graph.pose_presets.inputs import PosePresetCreate, PosePresetUpdate
from graph.pose_presets.queries import POSE_PRESETS
from services.pose_presets import create_pose_preset, update_pose_preset


async def _create(write: Write, input: PosePresetCreate, organization_id: uuid.UUID | None) -> PosePresetRow:
    return await create_pose_preset(
        write.session,
        write.resources,
        write.caller,
        columns=input.columns(),
        pose_image=source_of(input.pose_image),
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(
    write: Write, id: uuid.UUID, input: PosePresetUpdate, organization_id: uuid.UUID | None
) -> PosePresetRow:
    changes = {**input.columns(), **image_change("pose_image", input.pose_image), **ownership_changes(input)}
    return await update_pose_preset(
        write.session, write.resources, write.caller, id, changes=changes, organization_id=organization_id
    )


@strawberry.type
class Mutation:
    create_pose_preset = POSE_PRESETS.create(None, PosePresetCreate, _create)
    update_pose_preset = POSE_PRESETS.update("Change the given fields of a pose preset.", PosePresetUpdate, _update)
    delete_pose_preset = POSE_PRESETS.delete("Soft-delete a pose preset (superusers can restore it).")
    restore_pose_preset = POSE_PRESETS.restore("Restore a soft-deleted pose preset (superusers only).")
