from __future__ import annotations

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.types import BackgroundPreset, BackgroundPresets
from graph.crud import Crud
from graph.lists import OWNED_BY_NAME
from services.background_presets import WHAT

BACKGROUND_PRESETS = Crud(BackgroundPresetRow, WHAT, BackgroundPreset)


@strawberry.type
class Query:
    background_presets = BACKGROUND_PRESETS.list(
        "Background presets, by name. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers only) narrows to that user's presets.",
        OWNED_BY_NAME,
        BackgroundPresets,
    )
    background_preset = BACKGROUND_PRESETS.get()
