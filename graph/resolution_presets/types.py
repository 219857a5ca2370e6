from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.common.presented import Presented
from graph.resolution_presets.loaders import LoadedResolutionPreset


@strawberry.type(description="A named output size in pixels.")
class ResolutionPreset(Presented[ResolutionPresetRow | LoadedResolutionPreset]):
    id: uuid.UUID
    name: str
    width: int = strawberry.field(description="Width in pixels.")
    height: int = strawberry.field(description="Height in pixels.")
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
