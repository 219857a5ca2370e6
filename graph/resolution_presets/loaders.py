from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import ResolutionPreset
from graph.loaders import RowByIdLoader


class LoadedResolutionPreset(NamedTuple):
    name: str
    width: int
    height: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None


class ResolutionPresetByIdLoader(RowByIdLoader[LoadedResolutionPreset]):
    """For objects that point at a preset (guidelines); they check visibility (`can_read`) themselves."""

    model = ResolutionPreset
