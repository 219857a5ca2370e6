from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.lora.types import LoraInfo, status_name
from graph.media.keys import linked_media, linked_media_urls, loaded_media_urls, media_of
from graph.media.types import MediaResource
from graph.presenting import RowPresenter
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
    def of(cls, row: StyleRow) -> Style:
        return _present_style(row)


@strawberry.type(description="A style as the superuser endpoints show it (the documented StyleAdmin).")
class StyleAdmin(Style):
    lora_info: LoraInfo | None = strawberry.field(default=None, description="What the stored LoRA file holds.")

    @classmethod
    def of(cls, row: StyleRow) -> StyleAdmin:
        return _present_style_admin(row)


_present_style = RowPresenter(Style, convert={"tags": list, "lora_status": status_name})
_present_style_admin = RowPresenter(
    StyleAdmin, convert={"tags": list, "lora_status": status_name, "lora_info": LoraInfo.maybe}
)
