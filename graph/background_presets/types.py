from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from db.models import BackgroundPresetFraming as FramingRow
from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from graph.background_presets.loaders import BackgroundPresetFramingsByPresetIdLoader
from graph.context import Info
from graph.media.keys import load_media
from graph.media.types import MediaResource
from graph.presenting import present


@strawberry.type(description="The background image a preset uses for one framing.")
class BackgroundPresetFraming:
    id: uuid.UUID
    framing: ShotTypeFraming | None = strawberry.field(description="The framing it serves; null: any framing.")
    created_at: datetime
    updated_at: datetime
    image_media_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The stored image.")
    async def image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.image_media_id)

    @strawberry.field(description="URL of the stored image.")
    async def image_url(self, info: Info) -> str | None:
        media = await self.image_media(info)
        return media.url(info) if media is not None else None

    @classmethod
    def of(cls, row: FramingRow) -> BackgroundPresetFraming:
        return present(cls, row)


@strawberry.type(description="A named background with one image per framing.")
class BackgroundPreset:
    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    strategy: BackgroundFixStrategy | None = strawberry.field(description="Strategy for background fix processing.")
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @strawberry.field(description="The framings in the order they were given.")
    async def framings(self, info: Info) -> list[BackgroundPresetFraming]:
        rows = await info.context.loaders.get(BackgroundPresetFramingsByPresetIdLoader).load(self.id)
        return [BackgroundPresetFraming.of(row) for row in rows]

    @strawberry.field(description="URL of the first framing's image.")
    async def cover_image_url(self, info: Info) -> str | None:
        framings = await self.framings(info)
        return await framings[0].image_url(info) if framings else None

    @classmethod
    def of(cls, row: BackgroundPresetRow) -> BackgroundPreset:
        return present(cls, row)


@strawberry.type
class BackgroundPresets:
    data: list[BackgroundPreset]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
