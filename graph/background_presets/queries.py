from __future__ import annotations

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.loaders import BackgroundPresetByIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, ListOptions
from graph.lists import owned_by_name
from services.background_presets import WHAT

BACKGROUND_PRESETS = Crud(BackgroundPresetRow, WHAT, BackgroundPreset)
BACKGROUND_PRESET_OPTIONS = ListOptions(
    "BackgroundPreset", BackgroundPresetRow, sort=NAME_AND_TIMES, search=("name",), choices=("strategy",)
)


@strawberry.type
class Query:
    background_presets = BACKGROUND_PRESETS.list(
        "Background presets, by name. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers only) narrows to that user's presets.",
        owned_by_name(BACKGROUND_PRESET_OPTIONS),
        "BackgroundPresets",
    )
    background_preset = BACKGROUND_PRESETS.get(loader=BackgroundPresetByIdLoader)
