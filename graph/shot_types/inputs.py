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

# The fields' descriptions, shared by the create and update inputs.
NAME = (
    "Not blank, at most 255 characters; unique (ignoring case) among the live shot types of its organization, else "
    "of its owner (a duplicate is CONFLICT)."
)
VIEW_ANGLE = "The side from which the shot sees the subject."
FRAMING = "How much of the subject the shot shows."
REF_IMAGE_URL = "A reference image's URL, kept as text (neither fetched nor stored)."
PROMPT_INSTRUCTION = "Instructions for the shot, in words."
FILE_NAMING_CONVENTION = "How files of this shot type are to be named, at most 255 characters."
REFERENCE_IMAGE = "The reference image: a MediaInput (https URL, data: URI, upload URL or id)."
PROMPT = "Prompt text for generating this shot."
PROMPT_BUILDER_SECTION = "The section of the prompt builder this shot type's prompt belongs to."
CORE_FOCUS = "Mark it as one of the core shots of a shoot."
DEFAULT_SHOT_TYPE = "The default shot type it stands for, if any."
MARGINS = "The margins to keep around the subject in the frame, at most 255 characters."


@strawberry.input(description="A new shot type (the documented ShotTypeCreate).")
class ShotTypeCreate(OwnedCreate):
    column_names = COLUMNS
    image_fields = IMAGES
    name: str = strawberry.field(description=NAME)
    view_angle: ViewAngle = strawberry.field(description=VIEW_ANGLE)
    framing: ShotTypeFraming = strawberry.field(description=FRAMING)
    shot_type_ref_image_url: str | None = strawberry.field(default=None, description=REF_IMAGE_URL)
    shot_type_prompt_instruction: str | None = strawberry.field(default=None, description=PROMPT_INSTRUCTION)
    file_naming_convention: str | None = strawberry.field(default=None, description=FILE_NAMING_CONVENTION)
    reference_image_url: MediaInput | None = strawberry.field(default=None, description=REFERENCE_IMAGE)
    prompt: str | None = strawberry.field(default=None, description=PROMPT)
    prompt_builder_section: str | None = strawberry.field(default=None, description=PROMPT_BUILDER_SECTION)
    core_focus: bool = strawberry.field(default=False, description=CORE_FOCUS)
    default_shot_type: DefaultShotTypes | None = strawberry.field(default=None, description=DEFAULT_SHOT_TYPE)
    margins: str | None = strawberry.field(default=None, description=MARGINS)
    public: bool = strawberry.field(
        default=True, description="Let every signed-in user see it (true unless given false, as the spec says)."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_texts(errors, values)


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class ShotTypeUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = ("name", "view_angle", "framing", "core_focus", "public")
    image_fields = IMAGES
    name: str | None = strawberry.field(default=strawberry.UNSET, description=f"{NAME} Null is refused.")
    view_angle: ViewAngle | None = strawberry.field(
        default=strawberry.UNSET, description=f"{VIEW_ANGLE} Null is refused."
    )
    framing: ShotTypeFraming | None = strawberry.field(
        default=strawberry.UNSET, description=f"{FRAMING} Null is refused."
    )
    shot_type_ref_image_url: str | None = strawberry.field(default=strawberry.UNSET, description=REF_IMAGE_URL)
    shot_type_prompt_instruction: str | None = strawberry.field(
        default=strawberry.UNSET, description=PROMPT_INSTRUCTION
    )
    file_naming_convention: str | None = strawberry.field(default=strawberry.UNSET, description=FILE_NAMING_CONVENTION)
    reference_image_url: MediaInput | None = strawberry.field(
        default=strawberry.UNSET, description=f"{REFERENCE_IMAGE} Null removes it."
    )
    prompt: str | None = strawberry.field(default=strawberry.UNSET, description=PROMPT)
    prompt_builder_section: str | None = strawberry.field(default=strawberry.UNSET, description=PROMPT_BUILDER_SECTION)
    core_focus: bool | None = strawberry.field(default=strawberry.UNSET, description=f"{CORE_FOCUS} Null is refused.")
    default_shot_type: DefaultShotTypes | None = strawberry.field(
        default=strawberry.UNSET, description=DEFAULT_SHOT_TYPE
    )
    margins: str | None = strawberry.field(default=strawberry.UNSET, description=MARGINS)
    public: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Let every signed-in user see it. Null is refused."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_texts(errors, values)
