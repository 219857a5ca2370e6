from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import BackgroundPreset, BackgroundPresetFraming
from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from graph.loaders import GroupedRowsLoader, RowByIdLoader


class LoadedBackgroundPreset(NamedTuple):
    name: str
    strategy: BackgroundFixStrategy | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None


class LoadedBackgroundPresetFraming(NamedTuple):
    preset_id: uuid.UUID
    position: int
    framing: ShotTypeFraming | None
    image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class BackgroundPresetByIdLoader(RowByIdLoader[LoadedBackgroundPreset]):
    """For objects that point at a preset (set designs, guidelines); they check visibility (`can_read`)."""

    model = BackgroundPreset


class BackgroundPresetFramingsByPresetIdLoader(GroupedRowsLoader[LoadedBackgroundPresetFraming]):
    """Each preset's framings in the order they were given."""

    model = BackgroundPresetFraming
    group_key = "preset_id"
    order = ("position", "created_at", "id")
