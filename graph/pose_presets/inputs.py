from __future__ import annotations

import uuid
from typing import Any

import strawberry

from graph.common.inputs import OwnedCreate, OwnedUpdate, check_name
from graph.media.inputs import MediaInput
from graph.validation import InputErrors

COLUMNS = ("name", "prompt", "shot_type_id")
IMAGES = {"pose_image": "pose_image"}


@strawberry.input(description="A pose for one shot type: its prompt and an example image.")
class PosePresetCreate(OwnedCreate):
    column_names = COLUMNS
    image_fields = IMAGES
    name: str = strawberry.field(description="The preset's name: not blank, at most 255 characters.")
    shot_type_id: uuid.UUID = strawberry.field(description="A shot type you can see.")
    prompt: str | None = strawberry.field(default=None, description="Prompt text that describes the pose.")
    pose_image: MediaInput | None = strawberry.field(
        default=None, description="The pose image: a MediaInput (https URL, data: URI, upload URL or id)."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class PosePresetUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = ("name", "shot_type_id")
    image_fields = IMAGES
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The preset's name: not blank, at most 255 characters (null is refused)."
    )
    shot_type_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="A shot type you can see (null is refused)."
    )
    prompt: str | None = strawberry.field(
        default=strawberry.UNSET, description="Prompt text that describes the pose; null clears it."
    )
    pose_image: MediaInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The pose image: a MediaInput (https URL, data: URI, upload URL or id); null removes it.",
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)
