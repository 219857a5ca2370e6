from __future__ import annotations

import uuid
from typing import Any

import strawberry

from graph.common import descriptions as shared
from graph.common.inputs import changes, forbid_null
from graph.media.inputs import MediaInput
from graph.validation import InputErrors

COLUMNS = ("name", "prompt", "shot_type_id")
NOT_NULL = ("name", "shot_type_id")


def _check_name(errors: InputErrors, values: dict[str, Any]) -> None:
    errors.max_length("input.name", values.get("name"), 255)
    errors.not_blank("input.name", values.get("name"))


@strawberry.input(description="A pose for one shot type: its prompt and an example image.")
class PosePresetCreate:
    name: str = strawberry.field(description="The preset's name: not blank, at most 255 characters.")
    shot_type_id: uuid.UUID = strawberry.field(description="A shot type you can see.")
    prompt: str | None = strawberry.field(default=None, description="Prompt text that describes the pose.")
    pose_image: MediaInput | None = strawberry.field(
        default=None, description="The pose image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    owner_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_ORGANIZATION_ID)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}

    def check(self) -> None:
        errors = InputErrors()
        _check_name(errors, self.columns())
        if self.pose_image is not None:
            self.pose_image.check(errors, "input.poseImage")
        errors.raise_if_any()


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class PosePresetUpdate:
    name: str | None = strawberry.UNSET
    shot_type_id: uuid.UUID | None = strawberry.UNSET
    prompt: str | None = strawberry.UNSET
    pose_image: MediaInput | None = strawberry.UNSET
    owner_id: uuid.UUID | None = strawberry.field(default=strawberry.UNSET, description="Superusers only.")
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Transfer: into an organization you belong to, or null to move it out."
    )

    def columns(self) -> dict[str, Any]:
        return changes(self, COLUMNS)

    def check(self) -> None:
        errors = InputErrors()
        values = self.columns()
        forbid_null(errors, "input", values, NOT_NULL)
        _check_name(errors, values)
        if isinstance(self.pose_image, MediaInput):
            self.pose_image.check(errors, "input.poseImage")
        if self.owner_id is None:
            errors.add("input.ownerId", "must not be null")
        errors.raise_if_any()
