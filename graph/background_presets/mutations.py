from __future__ import annotations

import strawberry

from graph.background_presets.inputs import BackgroundPresetCreate, BackgroundPresetUpdate
from graph.background_presets.loaders import BackgroundPresetFramingsByPresetIdLoader
from graph.background_presets.queries import BACKGROUND_PRESETS
from graph.crud import owned_create, owned_update
from services.background_presets import BACKGROUND_PRESET_WRITES


@strawberry.type
class Mutation:
    create_background_preset = BACKGROUND_PRESETS.create(
        "Create a background preset with one image per framing.",
        BackgroundPresetCreate,
        owned_create(BACKGROUND_PRESET_WRITES),
    )
    update_background_preset = BACKGROUND_PRESETS.update(
        "Change the given fields of a background preset; framings, when given, replace all.",
        BackgroundPresetUpdate,
        owned_update(BACKGROUND_PRESET_WRITES, forget=(BackgroundPresetFramingsByPresetIdLoader,)),
    )
    delete_background_preset = BACKGROUND_PRESETS.delete("Soft-delete a background preset (superusers can restore it).")
    restore_background_preset = BACKGROUND_PRESETS.restore(
        "Restore a soft-deleted background preset (superusers only)."
    )
