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
from graph.relations import visible_one
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType

_SHOT_TYPE = visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of)


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
    @answers_levels(_SHOT_TYPE)
    async def shot_type(self, info: Info) -> ShotType | None:
        return (await _SHOT_TYPE([self], info))[0]  # type: ignore[no-any-return]

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
