from __future__ import annotations

import math
import uuid
from typing import Any

import strawberry

from db.models.enums import StyleCategory
from graph.common.inputs import camel, changes, forbid_null, given
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.media import MediaSource

# A style's LoRA trigger: StyleCreate/StyleUpdate's documented maxLength (uploadStyleLora and
# updateStyleLoraTrigger hold it to the same, so that every stored trigger also passes updateStyle).
STYLE_TRIGGER_MAX_LENGTH = 128
# The documented maxLength of each text field (localModelPath: the column's size, the spec gives none).
_TEXT_LIMITS = {
    "name": 255,
    "description": 1000,
    "brand": 1000,
    "prompt_keywords": 1000,
    "lora_trigger": STYLE_TRIGGER_MAX_LENGTH,
    "local_model_path": 1024,
}
MAX_DATA_IMAGES = 50
MAX_TAGS = 50
MAX_TAG_LENGTH = 128  # the column's item size (the spec gives no limit)
# LoRA strength: above 0 (0 would switch the style off) and at most 2 (beyond it images fall apart).
MAX_LORA_WEIGHT = 2.0
DEFAULT_LORA_WEIGHT = 0.7  # the documented default


def _check_values(errors: InputErrors, values: dict[str, Any]) -> None:
    for name, limit in _TEXT_LIMITS.items():
        errors.max_length(f"input.{camel(name)}", values.get(name), limit)
    errors.not_blank("input.name", values.get("name"))
    weight = values.get("default_lora_weight")
    if weight is not None and not (math.isfinite(weight) and 0 < weight <= MAX_LORA_WEIGHT):
        errors.add("input.defaultLoraWeight", f"must be greater than 0 and at most {MAX_LORA_WEIGHT:g}")
    tags = values.get("tags")
    if tags is not None:
        if len(tags) > MAX_TAGS:
            errors.add("input.tags", f"must contain at most {MAX_TAGS} tags")
        for index, tag in enumerate(tags):
            errors.not_blank(f"input.tags.{index}", tag)
            errors.max_length(f"input.tags.{index}", tag.strip(), MAX_TAG_LENGTH)


def _check_images(errors: InputErrors, cover: MediaInput | None, data_images: list[MediaInput] | None) -> None:
    if cover is not None:
        cover.check(errors, "input.coverImage")
    if data_images is not None:
        if len(data_images) > MAX_DATA_IMAGES:
            errors.add("input.dataImages", f"must contain at most {MAX_DATA_IMAGES} images")
        for index, image in enumerate(data_images):
            image.check(errors, f"input.dataImages.{index}")


def clean_tags(tags: list[str] | None) -> list[str]:
    """Tags trimmed, duplicates dropped (the first one kept), order kept; none given is no tags."""
    return list(dict.fromkeys(tag.strip() for tag in tags or ()))


def _sources(images: list[MediaInput] | None) -> list[MediaSource]:
    return [image.source() for image in images or ()]


@strawberry.input(description="A new style (the documented StyleCreate); the slug is made from the name.")
class StyleCreate:
    name: str = strawberry.field(description="The style's name: not blank, at most 255 characters.")
    cover_image: MediaInput = strawberry.field(
        description="The cover image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    description: str | None = strawberry.field(default=None, description="Free text, at most 1000 characters.")
    brand: str | None = strawberry.field(
        default=None, description="The brand the style is for, at most 1000 characters."
    )
    style_category: StyleCategory = strawberry.field(
        default=StyleCategory.OTHER, description="The kind of fashion the style belongs to."
    )
    local_model_path: str | None = strawberry.field(
        default=None, description="Where the style's LoRA weights are, at most 1024 characters (superusers only)."
    )
    lora_trigger: str | None = strawberry.field(
        default=None,
        description=f"The word that calls up the LoRA in a prompt, at most {STYLE_TRIGGER_MAX_LENGTH} characters.",
    )
    default_lora_weight: float = strawberry.field(
        default=DEFAULT_LORA_WEIGHT, description=f"Greater than 0, at most {MAX_LORA_WEIGHT:g}."
    )
    prompt_keywords: str | None = strawberry.field(
        default=None,
        description="Keywords that generations in this style add to their prompt (at most 1000 characters).",
    )
    public: bool = strawberry.field(default=False, description="Let every signed-in user see the style.")
    data_images: list[MediaInput] | None = strawberry.field(
        default=None, description=f"At most {MAX_DATA_IMAGES} images, kept in this order."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description=f"At most {MAX_TAGS}, each at most {MAX_TAG_LENGTH} characters; trimmed, unique."
    )
    organization_id: uuid.UUID | None = strawberry.field(
        default=None, description="The organization this style belongs to (you must be a member)."
    )

    def columns(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in CREATE_COLUMNS}
        values["tags"] = clean_tags(self.tags)
        return values

    def cover_source(self) -> MediaSource:
        return self.cover_image.source()

    def data_image_sources(self) -> list[MediaSource]:
        return _sources(self.data_images)

    def check(self) -> None:
        errors = InputErrors()
        _check_values(errors, {**{name: getattr(self, name) for name in CREATE_COLUMNS}, "tags": self.tags})
        _check_images(errors, self.cover_image, self.data_images)
        errors.raise_if_any()


CREATE_COLUMNS = (
    "name",
    "description",
    "brand",
    "style_category",
    "local_model_path",
    "lora_trigger",
    "default_lora_weight",
    "prompt_keywords",
    "public",
)
UPDATE_COLUMNS = (
    "name",
    "description",
    "brand",
    "style_category",
    "lora_trigger",
    "default_lora_weight",
    "prompt_keywords",
    "public",
    "enabled",
    "archived",
    "demo",
)
NOT_NULL = ("name", "style_category", "default_lora_weight", "public", "enabled", "archived", "demo")


@strawberry.input(
    description=(
        "Changes to a style (the documented StyleUpdate). Omitted fields stay as they are; null clears a nullable "
        "field (null tags or dataImages: none)."
    )
)
class StyleUpdate:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A rename keeps the slug unless regenerateSlug is true."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Free text, at most 1000 characters; null clears it."
    )
    brand: str | None = strawberry.field(
        default=strawberry.UNSET, description="The brand, at most 1000 characters; null clears it."
    )
    style_category: StyleCategory | None = strawberry.field(
        default=strawberry.UNSET, description="The kind of fashion the style belongs to (null is refused)."
    )
    lora_trigger: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"The LoRA's trigger word, at most {STYLE_TRIGGER_MAX_LENGTH} characters; null clears it.",
    )
    default_lora_weight: float | None = strawberry.field(
        default=strawberry.UNSET, description=f"Greater than 0, at most {MAX_LORA_WEIGHT:g}."
    )
    prompt_keywords: str | None = strawberry.field(
        default=strawberry.UNSET, description="Prompt keywords, at most 1000 characters; null clears them."
    )
    public: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Let every signed-in user see the style, or not (null is refused)."
    )
    enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Offer the style for use, or not (null is refused)."
    )
    archived: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Archive or unarchive it, as archiveStyle and unarchiveStyle do (null is refused).",
    )
    demo: bool | None = strawberry.field(default=strawberry.UNSET, description="Superusers only.")
    cover_image: MediaInput | None = strawberry.field(
        default=strawberry.UNSET, description="A new cover image, or null to remove it."
    )
    data_images: list[MediaInput] | None = strawberry.field(
        default=strawberry.UNSET, description=f"Replaces every data image (at most {MAX_DATA_IMAGES}); null: none."
    )
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Replaces every tag; null: none.")
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Transfer: into an organization you belong to, or null to move it out (its owner only).",
    )
    regenerate_slug: bool = strawberry.field(
        default=False, description="Make a new slug from the (new) name; old links to the style stop working."
    )

    def changes(self) -> dict[str, Any]:
        """The given fields by column name, images as MediaSources (cover None: remove)."""
        values = changes(self, UPDATE_COLUMNS)
        if given(self.tags):
            values["tags"] = clean_tags(self.tags)
        if given(self.organization_id):
            values["organization_id"] = self.organization_id
        if given(self.cover_image):
            values["cover_image"] = self.cover_image.source() if self.cover_image is not None else None
        if given(self.data_images):
            values["data_images"] = _sources(self.data_images)
        return values

    def check(self) -> None:
        errors = InputErrors()
        values = changes(self, UPDATE_COLUMNS)
        forbid_null(errors, "input", values, NOT_NULL)
        _check_values(errors, {**values, "tags": self.tags if given(self.tags) else None})
        _check_images(
            errors,
            self.cover_image if given(self.cover_image) else None,
            self.data_images if given(self.data_images) else None,
        )
        errors.raise_if_any()
