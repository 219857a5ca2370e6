from __future__ import annotations

import uuid
from typing import Any

import strawberry

from graph.common.inputs import OwnedCreate, OwnedUpdate, check_name
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.set_designs import BaseImagePart, PortraitPart, ReferenceImagePart, SetDesignParts

COLUMNS = ("name", "description", "background_preset_id")
# Not in the spec: every item may fetch or decode an image, so one request may not name an unbounded number.
MAX_ITEMS = 100


@strawberry.input(description="A base image of one subject for one shot type.")
class SetBaseImageInput:
    subject_id: uuid.UUID = strawberry.field(description="A subject you can see.")
    shot_type_id: uuid.UUID = strawberry.field(description="A shot type you can see.")
    image: MediaInput = strawberry.field(
        description="The image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    variant_index: int = strawberry.field(default=0, description="0 or more.")

    def check(self, errors: InputErrors, path: str) -> None:
        if self.variant_index < 0:
            errors.add(f"{path}.variantIndex", "must be 0 or more")
        self.image.check(errors, f"{path}.image")

    def part(self) -> BaseImagePart:
        return BaseImagePart(
            subject_id=self.subject_id,
            shot_type_id=self.shot_type_id,
            variant_index=self.variant_index,
            image=self.image.source(),
        )


@strawberry.input(description="A reference image for one shot type.")
class SetReferenceImageInput:
    shot_type_id: uuid.UUID = strawberry.field(description="A shot type you can see.")
    image: MediaInput = strawberry.field(
        description="The image: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    label: str | None = strawberry.field(default=None, description="A caption for the image, at most 255 characters.")

    def check(self, errors: InputErrors, path: str) -> None:
        errors.max_length(f"{path}.label", self.label, 255)
        self.image.check(errors, f"{path}.image")

    def part(self) -> ReferenceImagePart:
        return ReferenceImagePart(shot_type_id=self.shot_type_id, label=self.label, image=self.image.source())


@strawberry.input(description="A portrait of one subject in this set.")
class SubjectPortraitInput:
    subject_id: uuid.UUID = strawberry.field(description="A subject you can see.")
    image: MediaInput = strawberry.field(
        description="The portrait: a MediaInput (https URL, data: URI, upload URL or id)."
    )

    def check(self, errors: InputErrors, path: str) -> None:
        self.image.check(errors, f"{path}.image")

    def part(self) -> PortraitPart:
        return PortraitPart(subject_id=self.subject_id, image=self.image.source())


@strawberry.input(description="A set: a background preset with base images, reference images and portraits.")
class SetDesignCreate(OwnedCreate):
    column_names = COLUMNS
    name: str = strawberry.field(description="The set design's name: not blank, at most 255 characters.")
    description: str | None = strawberry.field(default=None, description="Free text about the set.")
    background_preset_id: uuid.UUID | None = strawberry.field(
        default=None, description="A background preset you can see."
    )
    base_images: list[SetBaseImageInput] = strawberry.field(
        default_factory=list, description=f"Base images, at most {MAX_ITEMS}, kept in this order."
    )
    reference_images: list[SetReferenceImageInput] = strawberry.field(
        default_factory=list, description=f"Reference images, at most {MAX_ITEMS}, kept in this order."
    )
    subject_portraits: list[SubjectPortraitInput] = strawberry.field(
        default_factory=list, description=f"Subject portraits, at most {MAX_ITEMS}, kept in this order."
    )

    def parts(self) -> SetDesignParts:
        return SetDesignParts(
            base_images=[item.part() for item in self.base_images],
            reference_images=[item.part() for item in self.reference_images],
            subject_portraits=[item.part() for item in self.subject_portraits],
        )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)
        errors.each("input.baseImages", self.base_images, at_most=MAX_ITEMS)
        errors.each("input.referenceImages", self.reference_images, at_most=MAX_ITEMS)
        errors.each("input.subjectPortraits", self.subject_portraits, at_most=MAX_ITEMS)


@strawberry.input(
    description=(
        "Omitted fields stay as they are; null clears a nullable field. A nested list, when given, replaces the "
        "stored one whole ([] empties it)."
    )
)
class SetDesignUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = ("name",)
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The set design's name: not blank, at most 255 characters."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Free text about the set; null clears it."
    )
    background_preset_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="A background preset you can see; null removes the link."
    )
    base_images: list[SetBaseImageInput] | None = strawberry.field(
        default=strawberry.UNSET, description=f"Replaces every base image (at most {MAX_ITEMS}; [] empties the list)."
    )
    reference_images: list[SetReferenceImageInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"Replaces every reference image (at most {MAX_ITEMS}; [] empties the list).",
    )
    subject_portraits: list[SubjectPortraitInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"Replaces every subject portrait (at most {MAX_ITEMS}; [] empties the list).",
    )

    def parts(self) -> SetDesignParts:
        def given_parts(items: list[Any] | None) -> list[Any] | None:
            return [item.part() for item in items] if isinstance(items, list) else None

        return SetDesignParts(
            base_images=given_parts(self.base_images),
            reference_images=given_parts(self.reference_images),
            subject_portraits=given_parts(self.subject_portraits),
        )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        check_name(errors, values)
        for field, items in (
            ("baseImages", self.base_images),
            ("referenceImages", self.reference_images),
            ("subjectPortraits", self.subject_portraits),
        ):
            if items is None:
                errors.add(f"input.{field}", "must not be null (give [] to empty it)")
            errors.each(f"input.{field}", items, at_most=MAX_ITEMS)
