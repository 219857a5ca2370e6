from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models.enums import DefaultShotTypes, ShotTypeFraming, ViewAngle
from graph.common import descriptions as shared
from graph.common.inputs import camel, changes, forbid_null
from graph.media.inputs import MediaInput
from graph.validation import InputErrors

_TEXT_LIMITS = {"name": 255, "file_naming_convention": 255, "margins": 255}


def _check_texts(errors: InputErrors, values: dict[str, Any]) -> None:
    for name, limit in _TEXT_LIMITS.items():
        errors.max_length(f"input.{camel(name)}", values.get(name), limit)
    errors.not_blank("input.name", values.get("name"))


@strawberry.input(description="A new shot type (the documented ShotTypeCreate).")
class ShotTypeCreate:
    name: str = strawberry.field(
        description=(
            "Not blank, at most 255 characters; unique (ignoring case) among the live shot types of its "
            "organization, else of its owner (a duplicate is CONFLICT)."
        )
    )
    view_angle: ViewAngle = strawberry.field(description="The side from which the shot sees the subject.")
    framing: ShotTypeFraming = strawberry.field(description="How much of the subject the shot shows.")
    shot_type_ref_image_url: str | None = strawberry.field(
        default=None, description="A reference image's URL, kept as text (neither fetched nor stored)."
    )
    shot_type_prompt_instruction: str | None = strawberry.field(
        default=None, description="Instructions for the shot, in words."
    )
    file_naming_convention: str | None = strawberry.field(
        default=None, description="How files of this shot type are to be named, at most 255 characters."
    )
    reference_image_url: MediaInput | None = strawberry.field(
        default=None, description="The reference image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    prompt: str | None = strawberry.field(default=None, description="Prompt text for generating this shot.")
    prompt_builder_section: str | None = strawberry.field(
        default=None, description="The section of the prompt builder this shot type's prompt belongs to."
    )
    core_focus: bool = strawberry.field(default=False, description="Mark it as one of the core shots of a shoot.")
    default_shot_type: DefaultShotTypes | None = strawberry.field(
        default=None, description="The default shot type it stands for, if any."
    )
    margins: str | None = strawberry.field(
        default=None, description="The margins to keep around the subject in the frame, at most 255 characters."
    )
    owner_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_OWNER_ID)
    public: bool = strawberry.field(
        default=True, description="Let every signed-in user see it (true unless given false, as the spec says)."
    )
    organization_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_ORGANIZATION_ID)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}

    def check(self) -> None:
        errors = InputErrors()
        _check_texts(errors, self.columns())
        if self.reference_image_url is not None:
            self.reference_image_url.check(errors, "input.referenceImageUrl")
        errors.raise_if_any()


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
NOT_NULL = ("name", "view_angle", "framing", "core_focus", "public")


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class ShotTypeUpdate:
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
    owner_id: uuid.UUID | None = strawberry.field(default=strawberry.UNSET, description="Superusers only.")
    public: bool | None = strawberry.UNSET
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Transfer: into an organization you belong to, or null to move it out."
    )

    def columns(self) -> dict[str, Any]:
        return changes(self, COLUMNS)

    def check(self) -> None:
        errors = InputErrors()
        values = self.columns()
        forbid_null(errors, "input", values, NOT_NULL)
        _check_texts(errors, values)
        if isinstance(self.reference_image_url, MediaInput):
            self.reference_image_url.check(errors, "input.referenceImageUrl")
        if self.owner_id is None:
            errors.add("input.ownerId", "must not be null")
        errors.raise_if_any()
