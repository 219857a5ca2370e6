from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.common import descriptions as shared
from graph.lora.types import LoraInfo, status_name
from graph.media.keys import linked_media, linked_media_urls, loaded_media_urls, media_of
from graph.media.types import MediaResource
from graph.presenting import RowPresenter
from graph.relations import relation
from graph.styles.loaders import StyleDataImagesByStyleIdLoader


@strawberry.type(description="A visual style: cover and data images, prompt keywords, tags and optional LoRA weights.")
class Style:
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(description="The style's name (not blank, at most 255 characters).")
    slug: str = strawberry.field(description="Unique across all styles; made from the name at creation and kept.")
    description: str | None = strawberry.field(description="Free text about the style (at most 1000 characters).")
    brand: str | None = strawberry.field(description="The brand the style is for, if any (at most 1000 characters).")
    style_category: StyleCategory = strawberry.field(description="The kind of fashion the style belongs to.")
    local_model_path: str | None = strawberry.field(
        description=(
            "The style's LoRA weights: after an upload, a storage key (relative to the storage folder or bucket"
            " prefix of STORAGE_URL); null: none."
        )
    )
    lora_trigger: str | None = strawberry.field(
        description="The word that calls up the style's LoRA in a prompt; null: none set."
    )
    default_lora_weight: float = strawberry.field(
        description="How strongly the LoRA is applied unless a generation says otherwise: above 0, at most 2."
    )
    prompt_keywords: str | None = strawberry.field(
        description="Keywords that generations in this style add to their prompt (at most 1000 characters)."
    )
    public: bool = strawberry.field(description=shared.PUBLIC)
    enabled: bool = strawberry.field(description="Whether the style is offered for use; updateStyle changes it.")
    archived: bool = strawberry.field(description="Archived styles stay readable but leave the default lists.")
    demo: bool = strawberry.field(description="Marks a demonstration style; only superusers change it.")
    tags: list[str] = strawberry.field(description="Free tags, trimmed, each once, in the order given.")
    lora_status: str = strawberry.field(description="none, processing, ready or failed.")
    current_training_id: uuid.UUID | None = strawberry.field(
        description="The LoRA training run in the training service, if any; no operation of this API sets it."
    )
    training_progress: float = strawberry.field(
        description="Progress of the LoRA in percent (0 to 100): 0 while an upload is processed, 100 once ready."
    )
    training_error: str | None = strawberry.field(description="Why the last LoRA upload failed (loraStatus failed).")
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
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
