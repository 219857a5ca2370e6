from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.common.presented import Presented
from graph.guidelines.loaders import LinkedPosePreset
from graph.media.keys import NOT_LOADED, MediaKey, media_of, media_urls
from graph.media.types import MediaResource
from graph.relations import relation, visible_one
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType


@strawberry.type(description="A pose for one shot type: its prompt and an example image.")
class PosePreset(Presented[PosePresetRow | LinkedPosePreset]):
    id: uuid.UUID
    name: str
    prompt: str | None
    shot_type_id: uuid.UUID
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    pose_image_media_id: strawberry.Private[uuid.UUID | None]
    pose_image_key: strawberry.Private[MediaKey] = NOT_LOADED
    shot_type: ShotType | None = relation(
        visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of),
        description="The shot type; null once it is deleted or no longer visible to you.",
    )
    pose_image_media: MediaResource | None = relation(
        media_of("pose_image_media_id"), description="The stored pose image."
    )
    pose_image_url: str | None = relation(
        media_urls("pose_image_key", "pose_image_media_id"), description="URL of the stored pose image."
    )
