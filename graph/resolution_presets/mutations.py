from __future__ import annotations

import strawberry

from graph.crud import owned_create, owned_update
from graph.resolution_presets.inputs import ResolutionPresetCreate, ResolutionPresetUpdate
from graph.resolution_presets.queries import RESOLUTION_PRESETS
from services.resolution_presets import RESOLUTION_PRESET_WRITES


@strawberry.type
class Mutation:
    create_resolution_preset = RESOLUTION_PRESETS.create(
        None, ResolutionPresetCreate, owned_create(RESOLUTION_PRESET_WRITES)
    )
    update_resolution_preset = RESOLUTION_PRESETS.update(
        "Change the given fields of a resolution preset.",
        ResolutionPresetUpdate,
        owned_update(RESOLUTION_PRESET_WRITES),
    )
    delete_resolution_preset = RESOLUTION_PRESETS.delete("Soft-delete a resolution preset (superusers can restore it).")
    restore_resolution_preset = RESOLUTION_PRESETS.restore(
        "Restore a soft-deleted resolution preset (superusers only)."
    )
