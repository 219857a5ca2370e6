from __future__ import annotations

import uuid

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.inputs import BackgroundPresetCreate, BackgroundPresetUpdate
from graph.background_presets.loaders import BackgroundPresetFramingsByPresetIdLoader
from graph.background_presets.queries import BACKGROUND_PRESETS
from graph.crud import Write
from services.background_presets import create_background_preset, update_background_preset


async def _create(
    write: Write, input: BackgroundPresetCreate, organization_id: uuid.UUID | None
) -> BackgroundPresetRow:
    return await create_background_preset(
        write.session,
        write.resources,
        write.caller,
        name=input.name,
        strategy=input.strategy,
        framings=input.framing_specs(),
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(
    write: Write, id: uuid.UUID, input: BackgroundPresetUpdate, organization_id: uuid.UUID | None
) -> BackgroundPresetRow:
    row = await update_background_preset(
        write.session,
        write.resources,
        write.caller,
        id,
        changes=input.changes(),
        framings=input.framing_specs(),
        organization_id=organization_id,
    )
    # An earlier field of the same document may have loaded the old framings.
    write.loaders.get(BackgroundPresetFramingsByPresetIdLoader).clear(row.id)
    return row


@strawberry.type
class Mutation:
    create_background_preset = BACKGROUND_PRESETS.create(
        "Create a background preset with one image per framing.", BackgroundPresetCreate, _create
    )
    update_background_preset = BACKGROUND_PRESETS.update(
        "Change the given fields of a background preset; framings, when given, replace all.",
        BackgroundPresetUpdate,
        _update,
    )
    delete_background_preset = BACKGROUND_PRESETS.delete("Soft-delete a background preset (superusers can restore it).")
    restore_background_preset = BACKGROUND_PRESETS.restore(
        "Restore a soft-deleted background preset (superusers only)."
    )
