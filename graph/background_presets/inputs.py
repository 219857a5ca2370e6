from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from graph.common import descriptions as shared
from graph.common.inputs import changes, forbid_null
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.background_presets import FramingSpec, framing_image_field

NAME_MAX_LENGTH = 255


@strawberry.input(description="The background image a preset uses for one framing (or for any).")
class BackgroundPresetFramingCreate:
    framing: ShotTypeFraming | None = strawberry.field(
        default=None, description="The framing this image serves; null: any framing."
    )
    image: MediaInput = strawberry.field(
        description="The background image: a MediaInput (https URL, data: URI, upload URL or id)."
    )

    def spec(self) -> FramingSpec:
        return FramingSpec(framing=self.framing, image=self.image.source())


def _check_name(errors: InputErrors, name: object) -> None:
    errors.max_length("input.name", name, NAME_MAX_LENGTH)
    errors.not_blank("input.name", name)


def _check_framings(errors: InputErrors, framings: list[BackgroundPresetFramingCreate]) -> None:
    errors.min_items("input.framings", framings, 1)
    for index, entry in enumerate(framings):
        entry.image.check(errors, framing_image_field(index))


@strawberry.input(description="A new background preset (the documented BackgroundPresetCreate).")
class BackgroundPresetCreate:
    name: str = strawberry.field(description=f"The preset's name: not blank, at most {NAME_MAX_LENGTH} characters.")
    framings: list[BackgroundPresetFramingCreate] = strawberry.field(
        description="At least one framing entry is required; their order is kept."
    )
    strategy: BackgroundFixStrategy | None = strawberry.field(
        default=BackgroundFixStrategy.DEFAULT, description="Strategy for background fix processing."
    )
    owner_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_ORGANIZATION_ID)

    def check(self) -> None:
        errors = InputErrors()
        _check_name(errors, self.name)
        _check_framings(errors, self.framings)
        errors.raise_if_any()

    def framing_specs(self) -> list[FramingSpec]:
        return [entry.spec() for entry in self.framings]


COLUMNS = ("name", "strategy")
NOT_NULL = ("name",)


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class BackgroundPresetUpdate:
    name: str | None = strawberry.UNSET
    framings: list[BackgroundPresetFramingCreate] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces every framing (at least one, order kept); omitted or null: no change.",
    )
    strategy: BackgroundFixStrategy | None = strawberry.field(
        default=strawberry.UNSET, description="Strategy for background fix processing."
    )
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
        _check_name(errors, values.get("name"))
        if isinstance(self.framings, list):
            _check_framings(errors, self.framings)
        if self.owner_id is None:
            errors.add("input.ownerId", "must not be null")
        errors.raise_if_any()

    def framing_specs(self) -> list[FramingSpec] | None:
        """The replacement framings, or None when they stay as they are."""
        if not isinstance(self.framings, list):
            return None
        return [entry.spec() for entry in self.framings]
