from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.lora.types import LoraInfo
from graph.media.keys import linked_media, linked_media_urls, loaded_media_urls, media_of
from graph.media.types import MediaResource
from graph.relations import relation
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

    cover_image_media: MediaResource | None = relation(
        media_of("cover_image_media_id"), description="The stored cover image."
    )
    cover_image_url: str | None = relation(
        loaded_media_urls("cover_image_media_id"), description="URL of the stored cover image."
    )
    data_images_media: list[MediaResource] = relation(
        linked_media(StyleDataImagesByStyleIdLoader),
        description="The stored data images, in the order they were given.",
    )
    data_image_urls: list[str] = relation(
        linked_media_urls(StyleDataImagesByStyleIdLoader), description="URLs of the stored data images, in order."
    )

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
