from __future__ import annotations

from typing import Any

import strawberry

from db.models.enums import DefaultShotTypes, ShotTypeFraming, ViewAngle
from graph.common.inputs import OwnedCreate, OwnedUpdate, camel
from graph.media.inputs import MediaInput
from graph.validation import InputErrors

_TEXT_LIMITS = {"name": 255, "file_naming_convention": 255, "margins": 255}


def _check_texts(errors: InputErrors, values: dict[str, Any]) -> None:
    for name, limit in _TEXT_LIMITS.items():
        errors.max_length(f"input.{camel(name)}", values.get(name), limit)
    errors.not_blank("input.name", values.get("name"))


COLUMNS = (
    "name",
    "view_angle",
    "framing",
    "shot_type_ref_image_url",
    "shot_type_prompt_instruction",
    "file_naming_convention",
    "prompt",
    "prompt_builder_section",
    "core_focus",
    "default_shot_type",
    "margins",
    "public",
)
IMAGES = {"reference_image": "reference_image_url"}


@strawberry.input
class ShotTypeCreate(OwnedCreate):
    column_names = COLUMNS
    image_fields = IMAGES
    name: str
    view_angle: ViewAngle
    framing: ShotTypeFraming
    shot_type_ref_image_url: str | None = None
    shot_type_prompt_instruction: str | None = None
    file_naming_convention: str | None = None
    reference_image_url: MediaInput | None = strawberry.field(
        default=None, description="The reference image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    prompt: str | None = None
    prompt_builder_section: str | None = None
    core_focus: bool = False
    default_shot_type: DefaultShotTypes | None = None
    margins: str | None = None
    public: bool = True

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_texts(errors, values)


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class ShotTypeUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = ("name", "view_angle", "framing", "core_focus", "public")
    image_fields = IMAGES
    name: str | None = strawberry.UNSET
    view_angle: ViewAngle | None = strawberry.UNSET
    framing: ShotTypeFraming | None = strawberry.UNSET
    shot_type_ref_image_url: str | None = strawberry.UNSET
    shot_type_prompt_instruction: str | None = strawberry.UNSET
    file_naming_convention: str | None = strawberry.UNSET
    reference_image_url: MediaInput | None = strawberry.UNSET
    prompt: str | None = strawberry.UNSET
    prompt_builder_section: str | None = strawberry.UNSET
    core_focus: bool | None = strawberry.UNSET
    default_shot_type: DefaultShotTypes | None = strawberry.UNSET
    margins: str | None = strawberry.UNSET
    public: bool | None = strawberry.UNSET

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_texts(errors, values)
