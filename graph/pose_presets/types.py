from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.media.keys import NOT_LOADED, MediaKey, media_of, media_urls
from graph.media.types import MediaResource
from graph.pose_presets.loaders import LoadedPosePreset
from graph.relations import relation, visible_one
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType


@strawberry.type(description="A pose for one shot type: its prompt and an example image.")
class PosePreset(Presented[PosePresetRow | LoadedPosePreset]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(description="The preset's name (not blank, at most 255 characters); lists sort by it.")
    prompt: str | None = strawberry.field(description="Prompt text that describes the pose.")
    shot_type_id: uuid.UUID = strawberry.field(
        description="The shot type the pose is for (kept even while that shot type is hidden; see shotType)."
    )
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
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
