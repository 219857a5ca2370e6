"""Subject inputs, mirroring the documented SubjectCreate/SubjectUpdate (and their nested schemas) in camelCase."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models.enums import BodyType, EyeColor, Gender, HairColor, LoraStatus, SubjectAgeClass, SubjectType
from graph.common.inputs import camel, changes, forbid_null, given
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.media import MediaSource
from services.subjects import MAX_IMAGES_PER_LIST, BaseImageSpec

_TEXT_LIMITS = {"name": 255, "surname": 255, "ethnicity": 255}
_LORA_STATUSES = ", ".join(status.value for status in LoraStatus)
_MEASURES = ("bust_cm", "waist_cm", "hips_cm", "height_cm", "shoe_eu")
MEASUREMENT_COLUMNS = (*_MEASURES, "eye_color", "hair_color")


def _check_texts(errors: InputErrors, values: dict[str, Any]) -> None:
    for name, limit in _TEXT_LIMITS.items():
        errors.max_length(f"input.{camel(name)}", values.get(name), limit)
    errors.not_blank("input.name", values.get("name"))


def _check_images(errors: InputErrors, name: str, images: object) -> None:
    """A list of at most MAX_IMAGES_PER_LIST images, each checked under `input.<name>.<index>`."""
    errors.each(f"input.{camel(name)}", images, at_most=MAX_IMAGES_PER_LIST, noun="images per request")


def _check_measurements(errors: InputErrors, values: dict[str, Any]) -> None:
    for name in _MEASURES:
        errors.positive(f"input.measurements.{camel(name)}", values.get(name))


def _sources(images: list[MediaInput] | None) -> list[MediaSource]:
    return [image.source() for image in images or []]


@strawberry.input(description="Measurements in centimetres and EU shoe size; each must be greater than 0.")
class SubjectMeasurementsCreate:
    bust_cm: float | None = None
    waist_cm: float | None = None
    hips_cm: float | None = None
    height_cm: float | None = None
    shoe_eu: float | None = None
    eye_color: EyeColor | None = None
    hair_color: HairColor | None = None

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in MEASUREMENT_COLUMNS}


@strawberry.input(description="Omitted fields stay as they are; null clears one.")
class SubjectMeasurementsUpdate:
    bust_cm: float | None = strawberry.UNSET
    waist_cm: float | None = strawberry.UNSET
    hips_cm: float | None = strawberry.UNSET
    height_cm: float | None = strawberry.UNSET
    shoe_eu: float | None = strawberry.UNSET
    eye_color: EyeColor | None = strawberry.UNSET
    hair_color: HairColor | None = strawberry.UNSET

    def columns(self) -> dict[str, Any]:
        return changes(self, MEASUREMENT_COLUMNS)


@strawberry.input(description="A base image: the image (as a MediaInput url would be given) for one shot type.")
class BaseImageCreate:
    image_url: str = strawberry.field(
        description="An https URL, a data: URI (base64) or the URL of an upload (uploadMedia)."
    )
    shot_type_id: uuid.UUID

    def check(self, errors: InputErrors, path: str) -> None:
        if not self.image_url.strip():
            errors.add(f"{path}.imageUrl", "must not be blank")

    def spec(self) -> BaseImageSpec:
        return BaseImageSpec(shot_type_id=self.shot_type_id, image=MediaSource(url=self.image_url))


COLUMNS = (
    "name",
    "surname",
    "description",
    "age_class",
    "gender",
    "positive_prompt",
    "negative_prompt",
    "ethnicity",
    "public",
    "body_type",
)


@strawberry.input
class SubjectCreate:
    name: str
    cover_image: MediaInput = strawberry.field(
        description="Required: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    age_class: SubjectAgeClass
    surname: str | None = None
    description: str | None = None
    local_model_path: str | None = strawberry.field(default=None, description="Superusers only.")
    lora_trigger: str | None = None
    lora_status: str = strawberry.field(
        default=LoraStatus.NONE.value,
        description=f"One of {_LORA_STATUSES}; anything but none is for superusers only.",
    )
    data_images: list[MediaInput] | None = strawberry.field(
        default=None, description=f"Training images, order kept; at most {MAX_IMAGES_PER_LIST}."
    )
    portrait_image: MediaInput | None = None
    portfolio_images: list[MediaInput] | None = strawberry.field(
        default=None, description=f"Order kept; at most {MAX_IMAGES_PER_LIST}."
    )
    base_images: list[BaseImageCreate] | None = strawberry.field(
        default=None,
        description=f"At most {MAX_IMAGES_PER_LIST}; one per shot type (a later entry for a shot type wins).",
    )
    gender: Gender = Gender.FEMALE
    positive_prompt: str | None = None
    negative_prompt: str | None = None
    ethnicity: str | None = None
    public: bool = False
    subject_type: SubjectType = SubjectType.AI
    body_type: BodyType | None = None
    organization_id: uuid.UUID | None = strawberry.field(
        default=None, description="Organization this subject belongs to."
    )
    measurements: SubjectMeasurementsCreate | None = None

    def columns(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in COLUMNS}
        values["subject_type"] = self.subject_type
        values["lora_trigger"] = self.lora_trigger
        values["local_model_path"] = self.local_model_path
        values["lora_status"] = LoraStatus(self.lora_status)
        return values

    def check(self) -> None:
        errors = InputErrors()
        _check_texts(errors, {name: getattr(self, name) for name in _TEXT_LIMITS})
        errors.max_length("input.loraTrigger", self.lora_trigger, 255)
        errors.max_length("input.localModelPath", self.local_model_path, 1024)
        if self.lora_status not in {status.value for status in LoraStatus}:
            errors.add("input.loraStatus", f"must be one of {_LORA_STATUSES}")
        self.cover_image.check(errors, "input.coverImage")
        if self.portrait_image is not None:
            self.portrait_image.check(errors, "input.portraitImage")
        _check_images(errors, "data_images", self.data_images)
        _check_images(errors, "portfolio_images", self.portfolio_images)
        _check_images(errors, "base_images", self.base_images)
        if self.measurements is not None:
            _check_measurements(errors, self.measurements.columns())
        errors.raise_if_any()

    def data_image_sources(self) -> list[MediaSource]:
        return _sources(self.data_images)

    def portfolio_image_sources(self) -> list[MediaSource]:
        return _sources(self.portfolio_images)

    def base_image_specs(self) -> list[BaseImageSpec]:
        return [entry.spec() for entry in self.base_images or []]


UPDATE_COLUMNS = (*COLUMNS, "ready")
NOT_NULL = ("name", "age_class", "gender", "public", "ready")


@strawberry.input(description="Omitted fields stay as they are; null clears a nullable field.")
class SubjectUpdate:
    name: str | None = strawberry.UNSET
    surname: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    cover_image: MediaInput | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the cover image (which cannot be removed)."
    )
    data_images: list[MediaInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"Replaces every data image (order kept, at most {MAX_IMAGES_PER_LIST}); null or [] removes all.",
    )
    portrait_image: MediaInput | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the portrait; null removes it."
    )
    portfolio_images: list[MediaInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            f"Replaces every portfolio image (order kept, at most {MAX_IMAGES_PER_LIST}); null or [] removes all."
        ),
    )
    age_class: SubjectAgeClass | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    positive_prompt: str | None = strawberry.UNSET
    negative_prompt: str | None = strawberry.UNSET
    ethnicity: str | None = strawberry.UNSET
    public: bool | None = strawberry.UNSET
    ready: bool | None = strawberry.field(
        default=strawberry.UNSET, description="May only become true while the subject has a base image."
    )
    body_type: BodyType | None = strawberry.UNSET
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Transfer: into an organization you belong to, or null to move it out."
    )
    measurements: SubjectMeasurementsUpdate | None = strawberry.field(
        default=strawberry.UNSET,
        description="Changes the given measurements (creating them when missing); null removes them.",
    )

    def columns(self) -> dict[str, Any]:
        return changes(self, UPDATE_COLUMNS)

    def check(self) -> None:
        errors = InputErrors()
        values = self.columns()
        forbid_null(errors, "input", values, NOT_NULL)
        _check_texts(errors, values)
        if self.cover_image is None:
            errors.add("input.coverImage", "must not be null")
        elif isinstance(self.cover_image, MediaInput):
            self.cover_image.check(errors, "input.coverImage")
        if isinstance(self.portrait_image, MediaInput):
            self.portrait_image.check(errors, "input.portraitImage")
        _check_images(errors, "data_images", self.data_images)
        _check_images(errors, "portfolio_images", self.portfolio_images)
        if isinstance(self.measurements, SubjectMeasurementsUpdate):
            _check_measurements(errors, self.measurements.columns())
        errors.raise_if_any()

    def changes(self) -> dict[str, Any]:
        """The given fields by column name; nested parts under cover_image, portrait_image, data_images,
        portfolio_images (MediaSource or lists of them) and measurements (a dict of given columns, or None)."""
        values = self.columns()
        if given(self.organization_id):
            values["organization_id"] = self.organization_id
        if given(self.cover_image) and self.cover_image is not None:
            values["cover_image"] = self.cover_image.source()
        if given(self.portrait_image):
            values["portrait_image"] = self.portrait_image.source() if self.portrait_image else None
        if given(self.data_images):
            values["data_images"] = _sources(self.data_images)
        if given(self.portfolio_images):
            values["portfolio_images"] = _sources(self.portfolio_images)
        if given(self.measurements):
            values["measurements"] = self.measurements.columns() if self.measurements else None
        return values
