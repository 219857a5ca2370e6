from __future__ import annotations

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, ListOptions, Sort
from graph.lists import owned_by_name
from graph.resolution_presets.loaders import ResolutionPresetByIdLoader
from graph.resolution_presets.types import ResolutionPreset
from services.resolution_presets import WHAT

RESOLUTION_PRESETS = Crud(ResolutionPresetRow, WHAT, ResolutionPreset)
RESOLUTION_PRESET_OPTIONS = ListOptions(
    "ResolutionPreset",
    ResolutionPresetRow,
    sort=(*NAME_AND_TIMES, Sort("WIDTH", "width", "By width."), Sort("HEIGHT", "height", "By height.")),
    search=("name",),
)


@strawberry.type
class Query:
    resolution_presets = RESOLUTION_PRESETS.list(
        "Resolution presets, by name. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers only) narrows to that user's presets.",
        owned_by_name(RESOLUTION_PRESET_OPTIONS),
        "ResolutionPresets",
    )
    resolution_preset = RESOLUTION_PRESETS.get(loader=ResolutionPresetByIdLoader)
