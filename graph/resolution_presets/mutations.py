from __future__ import annotations

import uuid

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.common.inputs import ownership_changes
from graph.crud import Write
from graph.resolution_presets.inputs import ResolutionPresetCreate, ResolutionPresetUpdate
from graph.resolution_presets.queries import RESOLUTION_PRESETS
from services.resolution_presets import create_resolution_preset, update_resolution_preset


async def _create(
    write: Write, input: ResolutionPresetCreate, organization_id: uuid.UUID | None
) -> ResolutionPresetRow:
    return await create_resolution_preset(
        write.session,
        write.caller,
        name=input.name,
        width=input.width,
        height=input.height,
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(
    write: Write, id: uuid.UUID, input: ResolutionPresetUpdate, organization_id: uuid.UUID | None
) -> ResolutionPresetRow:
    changes = {**input.columns(), **ownership_changes(input)}
    return await update_resolution_preset(
        write.session, write.caller, id, changes=changes, organization_id=organization_id
    )


@strawberry.type
class Mutation:
    create_resolution_preset = RESOLUTION_PRESETS.create(None, ResolutionPresetCreate, _create)
    update_resolution_preset = RESOLUTION_PRESETS.update(
        "Change the given fields of a resolution preset.", ResolutionPresetUpdate, _update
    )
    delete_resolution_preset = RESOLUTION_PRESETS.delete("Soft-delete a resolution preset (superusers can restore it).")
    restore_resolution_preset = RESOLUTION_PRESETS.restore(
        "Restore a soft-deleted resolution preset (superusers only)."
    )
