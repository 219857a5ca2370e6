from __future__ import annotations

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.crud import Crud
from graph.lists import OWNED_BY_NAME
from graph.resolution_presets.types import ResolutionPreset, ResolutionPresets
from services.resolution_presets import WHAT

RESOLUTION_PRESETS = Crud(ResolutionPresetRow, WHAT, ResolutionPreset)


@strawberry.type
class Query:
    resolution_presets = RESOLUTION_PRESETS.list(
        "Resolution presets, by name. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers only) narrows to that user's presets.",
        OWNED_BY_NAME,
        ResolutionPresets,
    )
    resolution_preset = RESOLUTION_PRESETS.get()
