from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import MediaResource
from db.models.enums import MediaResourceType
from graph.loaders import RowByIdLoader


class LoadedMediaResource(NamedTuple):
    owner_id: uuid.UUID | None
    storage_key: str
    content_hash: str
    file_size: int
    extension: str
    mime_type: str
    resource_type: MediaResourceType
    width: int | None
    height: int | None
    aspect_ratio: float | None
    orientation: str | None
    dominant_color: str | None
    color_profile: str | None
    duration: float | None
    alt_text: str | None
    caption: str | None
    protected: bool
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class MediaResourceByIdLoader(RowByIdLoader[LoadedMediaResource]):
    model = MediaResource
