from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.types import BackgroundPreset, BackgroundPresets
from graph.crud import Crud, Listing, OwnerFilter
from services.background_presets import WHAT

BACKGROUND_PRESETS = Crud(BackgroundPresetRow, WHAT, BackgroundPreset)


@dataclass(frozen=True)
class BackgroundPresetArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


@strawberry.type
class Query:
    background_presets = BACKGROUND_PRESETS.list(
        "Background presets, by name. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers only) narrows to that user's presets.",
        Listing(
            BackgroundPresetArguments,
            owner=OwnerFilter.OWNED,
            order_by=(BackgroundPresetRow.name,),
        ),
        BackgroundPresets,
    )
    background_preset = BACKGROUND_PRESETS.get()
