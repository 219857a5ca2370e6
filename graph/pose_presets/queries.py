from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, ListOptions
from graph.lists import Listing, OwnerFilter
from graph.pose_presets.types import PosePreset
from services.pose_presets import WHAT

POSE_PRESETS = Crud(PosePresetRow, WHAT, PosePreset)
POSE_PRESET_OPTIONS = ListOptions("PosePreset", PosePresetRow, sort=NAME_AND_TIMES, search=("name", "prompt"))


@dataclass(frozen=True)
class PosePresetArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    shot_type_id: uuid.UUID | None = None
    search: str | None = None


@strawberry.type
class Query:
    pose_presets = POSE_PRESETS.list(
        "Pose presets. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers): that user's.",
        Listing(
            PosePresetArguments,
            POSE_PRESET_OPTIONS,
            owner=OwnerFilter.OWNED,
            equal=("shot_type_id",),
            order_by=("name",),
        ),
        "PosePresets",
    )
    pose_preset = POSE_PRESETS.get()
