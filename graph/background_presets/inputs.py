from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from graph.common.inputs import NAME_MAX_LENGTH, OwnedCreate, OwnedUpdate, check_name
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.background_presets import FramingSpec, framing_image_field


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


def _check_framings(errors: InputErrors, framings: list[BackgroundPresetFramingCreate]) -> None:
    errors.min_items("input.framings", framings, 1)
    for index, entry in enumerate(framings):
        entry.image.check(errors, framing_image_field(index))


COLUMNS = ("name", "strategy")


@strawberry.input(description="A new background preset (the documented BackgroundPresetCreate).")
class BackgroundPresetCreate(OwnedCreate):
    column_names = COLUMNS
    name: str = strawberry.field(description=f"The preset's name: not blank, at most {NAME_MAX_LENGTH} characters.")
    framings: list[BackgroundPresetFramingCreate] = strawberry.field(
        description="At least one framing entry is required; their order is kept."
    )
    strategy: BackgroundFixStrategy | None = strawberry.field(
        default=BackgroundFixStrategy.DEFAULT, description="Strategy for background fix processing."
    )
    organization_id: uuid.UUID | None = strawberry.field(
        default=None, description="Organization this preset belongs to."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)
        _check_framings(errors, self.framings)

    def parts(self) -> list[FramingSpec]:
        return [entry.spec() for entry in self.framings]


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class BackgroundPresetUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = ("name",)
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"The preset's name: not blank, at most {NAME_MAX_LENGTH} characters (null is refused).",
    )
    framings: list[BackgroundPresetFramingCreate] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces every framing (at least one, order kept); omitted or null: no change.",
    )
    strategy: BackgroundFixStrategy | None = strawberry.field(
        default=strawberry.UNSET, description="Strategy for background fix processing."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)
        if isinstance(self.framings, list):
            _check_framings(errors, self.framings)

    def parts(self) -> list[FramingSpec] | None:
        """The replacement framings, or None when they stay as they are."""
        if not isinstance(self.framings, list):
            return None
        return [entry.spec() for entry in self.framings]
