from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.context import Info
from graph.execution.levels import answers_levels
from graph.media.keys import UNKNOWN, load_media, media_url, media_urls
from graph.media.types import MediaResource
from graph.presenting import present
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from services.visibility import can_read


@strawberry.type(description="A pose for one shot type: its prompt and an example image.")
class PosePreset:
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
    pose_image_key: strawberry.Private[str | None] = UNKNOWN

    @strawberry.field(description="The shot type; null once it is deleted or no longer visible to you.")
    async def shot_type(self, info: Info) -> ShotType | None:
        row = await info.context.loaders.get(ShotTypeByIdLoader).load(self.shot_type_id)
        if row is None or not can_read(info.context.require_caller(), row):
            return None
        return ShotType.of(row)

    @strawberry.field(description="The stored pose image.")
    async def pose_image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.pose_image_media_id)

    @strawberry.field(description="URL of the stored pose image.")
    @answers_levels(media_urls("pose_image_key", "pose_image_media_id"))
    def pose_image_url(self, info: Info) -> str | None:
        return media_url(info, self.pose_image_key, self.pose_image_media_id)  # type: ignore[return-value]

    @classmethod
    def of(cls, row: PosePresetRow) -> PosePreset:
        return present(cls, row)


@strawberry.type
class PosePresets:
    data: list[PosePreset]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
