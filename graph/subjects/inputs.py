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


# What each measurement is, for SubjectMeasurementsCreate and SubjectMeasurementsUpdate alike.
BUST = "Bust circumference in centimetres, greater than 0."
WAIST = "Waist circumference in centimetres, greater than 0."
HIPS = "Hip circumference in centimetres, greater than 0."
HEIGHT = "Height in centimetres, greater than 0."
SHOE = "Shoe size on the EU scale (half sizes allowed), greater than 0."
EYES = "Eye colour."
HAIR = "Hair colour."
CLEARS = " Null clears it."


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
    bust_cm: float | None = strawberry.field(default=None, description=BUST)
    waist_cm: float | None = strawberry.field(default=None, description=WAIST)
    hips_cm: float | None = strawberry.field(default=None, description=HIPS)
    height_cm: float | None = strawberry.field(default=None, description=HEIGHT)
    shoe_eu: float | None = strawberry.field(default=None, description=SHOE)
    eye_color: EyeColor | None = strawberry.field(default=None, description=EYES)
    hair_color: HairColor | None = strawberry.field(default=None, description=HAIR)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in MEASUREMENT_COLUMNS}


@strawberry.input(description="Omitted fields stay as they are; null clears one.")
class SubjectMeasurementsUpdate:
    bust_cm: float | None = strawberry.field(default=strawberry.UNSET, description=BUST + CLEARS)
    waist_cm: float | None = strawberry.field(default=strawberry.UNSET, description=WAIST + CLEARS)
    hips_cm: float | None = strawberry.field(default=strawberry.UNSET, description=HIPS + CLEARS)
    height_cm: float | None = strawberry.field(default=strawberry.UNSET, description=HEIGHT + CLEARS)
    shoe_eu: float | None = strawberry.field(default=strawberry.UNSET, description=SHOE + CLEARS)
    eye_color: EyeColor | None = strawberry.field(default=strawberry.UNSET, description=EYES + CLEARS)
    hair_color: HairColor | None = strawberry.field(default=strawberry.UNSET, description=HAIR + CLEARS)

    def columns(self) -> dict[str, Any]:
        return changes(self, MEASUREMENT_COLUMNS)


@strawberry.input(description="A base image: the image (as a MediaInput url would be given) for one shot type.")
class BaseImageCreate:
    image_url: str = strawberry.field(
        description="An https URL, a data: URI (base64) or the URL of an upload (uploadMedia)."
    )
    shot_type_id: uuid.UUID = strawberry.field(
        description="A shot type you can see; the subject's base image for it is replaced."
    )

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


@strawberry.input(description="A new subject (the documented SubjectCreate); the slug is made from name and surname.")
class SubjectCreate:
    name: str = strawberry.field(description="First name: not blank, at most 255 characters.")
    cover_image: MediaInput = strawberry.field(
        description="Required: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    age_class: SubjectAgeClass = strawberry.field(description="The subject's age group.")
    surname: str | None = strawberry.field(default=None, description="Family name, at most 255 characters.")
    description: str | None = strawberry.field(default=None, description="Free text about the subject.")
    local_model_path: str | None = strawberry.field(
        default=None, description="Where the subject's LoRA weights are, at most 1024 characters (superusers only)."
    )
    lora_trigger: str | None = strawberry.field(
        default=None, description="The word that calls up the subject's LoRA in a prompt, at most 255 characters."
    )
    lora_status: str = strawberry.field(
        default=LoraStatus.NONE.value,
        description=f"One of {_LORA_STATUSES}; anything but none is for superusers only.",
    )
    data_images: list[MediaInput] | None = strawberry.field(
        default=None, description=f"Training images, order kept; at most {MAX_IMAGES_PER_LIST}."
    )
    portrait_image: MediaInput | None = strawberry.field(
        default=None, description="A portrait: a MediaInput (https URL, data: URI, upload URL or id)."
    )
    portfolio_images: list[MediaInput] | None = strawberry.field(
        default=None, description=f"Order kept; at most {MAX_IMAGES_PER_LIST}."
    )
    base_images: list[BaseImageCreate] | None = strawberry.field(
        default=None,
        description=f"At most {MAX_IMAGES_PER_LIST}; one per shot type (a later entry for a shot type wins).",
    )
    gender: Gender = strawberry.field(default=Gender.FEMALE, description="The subject's gender.")
    positive_prompt: str | None = strawberry.field(
        default=None, description="Prompt text that images of this subject should follow."
    )
    negative_prompt: str | None = strawberry.field(
        default=None, description="Prompt text that images of this subject should avoid."
    )
    ethnicity: str | None = strawberry.field(
        default=None, description="Ethnicity as free text, at most 255 characters."
    )
    public: bool = strawberry.field(default=False, description="Let every signed-in user see the subject.")
    subject_type: SubjectType = strawberry.field(
        default=SubjectType.AI, description="A generated model (AI) or a real person (HUMAN); it cannot change later."
    )
    body_type: BodyType | None = strawberry.field(default=None, description="The subject's build.")
    organization_id: uuid.UUID | None = strawberry.field(
        default=None, description="Organization this subject belongs to."
    )
    measurements: SubjectMeasurementsCreate | None = strawberry.field(
        default=None, description="Body measurements and colouring; omitted: none."
    )

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
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="First name: not blank, at most 255 characters; the slug stays."
    )
    surname: str | None = strawberry.field(
        default=strawberry.UNSET, description="Family name, at most 255 characters; null clears it."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Free text about the subject; null clears it."
    )
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
    age_class: SubjectAgeClass | None = strawberry.field(
        default=strawberry.UNSET, description="The subject's age group (null is refused)."
    )
    gender: Gender | None = strawberry.field(
        default=strawberry.UNSET, description="The subject's gender (null is refused)."
    )
    positive_prompt: str | None = strawberry.field(
        default=strawberry.UNSET, description="Prompt text that images of this subject should follow; null clears it."
    )
    negative_prompt: str | None = strawberry.field(
        default=strawberry.UNSET, description="Prompt text that images of this subject should avoid; null clears it."
    )
    ethnicity: str | None = strawberry.field(
        default=strawberry.UNSET, description="Ethnicity as free text, at most 255 characters; null clears it."
    )
    public: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Let every signed-in user see the subject, or not (null is refused)."
    )
    ready: bool | None = strawberry.field(
        default=strawberry.UNSET, description="May only become true while the subject has a base image."
    )
    body_type: BodyType | None = strawberry.field(
        default=strawberry.UNSET, description="The subject's build; null clears it."
    )
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
