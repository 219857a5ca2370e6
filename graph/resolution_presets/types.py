from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.resolution_presets.loaders import LoadedResolutionPreset


@strawberry.type(description="A named output size in pixels.")
class ResolutionPreset(Presented[ResolutionPresetRow | LoadedResolutionPreset]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(description="The preset's name (not blank, at most 255 characters); lists sort by it.")
    width: int = strawberry.field(description="Width in pixels.")
    height: int = strawberry.field(description="Height in pixels.")
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
