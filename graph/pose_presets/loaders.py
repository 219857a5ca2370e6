from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple


class LoadedPosePreset(NamedTuple):
    """A pose preset with its pose image's storage key (POSE_PRESET_MEDIA_KEYS); loaded through the guidelines that
    link it (graph/guidelines/loaders.PosePresetsByGuidelineIdLoader)."""

    name: str
    prompt: str | None
    shot_type_id: uuid.UUID
    pose_image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    pose_image_key: str | None


POSE_PRESET_MEDIA_KEYS = {"pose_image_key": "pose_image_media_id"}
