from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.context import Info
from graph.lora.types import LoraInfo
from graph.media.keys import load_media
from graph.media.loaders import MediaResourceByIdLoader
from graph.media.types import MediaResource
from graph.styles.loaders import StyleDataImagesByStyleIdLoader


@strawberry.type(description="A visual style: cover and data images, prompt keywords, tags and optional LoRA weights.")
class Style:
    id: uuid.UUID
    name: str
    slug: str = strawberry.field(description="Unique across all styles; made from the name at creation and kept.")
    description: str | None
    brand: str | None
    style_category: StyleCategory
    local_model_path: str | None
    lora_trigger: str | None
    default_lora_weight: float
    prompt_keywords: str | None
    public: bool
    enabled: bool
    archived: bool = strawberry.field(description="Archived styles stay readable but leave the default lists.")
    demo: bool
    tags: list[str]
    lora_status: str = strawberry.field(description="none, processing, ready or failed.")
    current_training_id: uuid.UUID | None
    training_progress: float
    training_error: str | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    cover_image_media_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The stored cover image.")
    async def cover_image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.cover_image_media_id)

    @strawberry.field(description="URL of the stored cover image.")
    async def cover_image_url(self, info: Info) -> str | None:
        media = await self.cover_image_media(info)
        return media.url(info) if media is not None else None

    @strawberry.field(description="The stored data images, in the order they were given.")
    async def data_images_media(self, info: Info) -> list[MediaResource]:
        links = await info.context.loaders.get(StyleDataImagesByStyleIdLoader).load(self.id)
        rows = await info.context.loaders.get(MediaResourceByIdLoader).load_many([link.media_id for link in links])
        return [MediaResource.of(row) for row in rows if row is not None]

    @strawberry.field(description="URLs of the stored data images, in order.")
    async def data_image_urls(self, info: Info) -> list[str]:
        return [media.url(info) for media in await self.data_images_media(info)]

    @classmethod
    def of(cls, row: StyleRow) -> Self:
        return cls(
            id=row.id,
            name=row.name,
            slug=row.slug,
            description=row.description,
            brand=row.brand,
            style_category=row.style_category,
            local_model_path=row.local_model_path,
            lora_trigger=row.lora_trigger,
            default_lora_weight=row.default_lora_weight,
            prompt_keywords=row.prompt_keywords,
            public=row.public,
            enabled=row.enabled,
            archived=row.archived,
            demo=row.demo,
            tags=list(row.tags),
            lora_status=row.lora_status.value,
            current_training_id=row.current_training_id,
            training_progress=row.training_progress,
            training_error=row.training_error,
            owner_id=row.owner_id,
            organization_id=row.organization_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
            cover_image_media_id=row.cover_image_media_id,
        )


@strawberry.type(description="A style as the superuser endpoints show it (the documented StyleAdmin).")
class StyleAdmin(Style):
    lora_info: LoraInfo | None = strawberry.field(default=None, description="What the stored LoRA file holds.")

    @classmethod
    def of(cls, row: StyleRow) -> Self:
        admin = super().of(row)
        admin.lora_info = LoraInfo.maybe(row.lora_info)
        return admin


@strawberry.type
class Styles:
    data: list[Style]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")


@strawberry.type
class StylesAdmin:
    data: list[StyleAdmin]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
