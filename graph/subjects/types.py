from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Sequence
from datetime import datetime

import strawberry

from db.models import Subject as SubjectRow
from db.models import SubjectBaseImage as SubjectBaseImageRow
from db.models import SubjectMeasurements as SubjectMeasurementsRow
from db.models.enums import BodyType, EyeColor, Gender, HairColor, SubjectAgeClass, SubjectType
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.context import Info
from graph.fields import field
from graph.lora.types import LoraInfo, status_name
from graph.media.keys import (
    NOT_LOADED,
    MediaKey,
    NotLoaded,
    joined_key,
    linked_media,
    load_media,
    media_of,
    media_urls,
)
from graph.media.types import MediaResource, storage_urls
from graph.presenting import RowPresenter
from graph.relations import relation, visible_one
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from graph.subjects.loaders import (
    JoinedBaseImages,
    JoinedMeasurements,
    LoadedSubject,
    LoadedSubjectBaseImage,
    LoadedSubjectDetail,
    LoadedSubjectMeasurements,
    SubjectBaseImagesBySubjectIdLoader,
    SubjectDataImagesBySubjectIdLoader,
    SubjectMeasurementsBySubjectIdLoader,
    SubjectPortfolioImagesBySubjectIdLoader,
)
from services.errors import NotFoundError

_PATH_SEPARATORS = re.compile(r"[\\/]")


def _base_image_urls(images: Sequence[BaseImage], info: Info) -> list[str | Awaitable[str]]:
    """The level form of `BaseImage.imageUrl`: at once from the storage key loaded with the row, else looked up."""
    url = storage_urls(info)
    return [url(key) if isinstance(key := image.image_key, str) else _base_image_url(info, image) for image in images]


def _base_image_url(info: Info, image: BaseImage) -> Awaitable[str]:
    """A base image's URL when its row came without its storage key (NOT_LOADED), or without media (None)."""
    if image.image_key is None:
        raise NotFoundError("Base image")
    return _loaded_base_image_url(info, image.media_id)


async def _loaded_base_image_url(info: Info, media_id: uuid.UUID) -> str:
    media = await load_media(info, media_id)
    if media is None:  # only if the image vanished while this answer was being built
        raise NotFoundError("Base image")
    return media.url(info)


def _shot_type_labels(images: Sequence[BaseImage], info: Info) -> list[str | Awaitable[str]]:
    """The level form of `BaseImage.shotTypeLabel`: the name loaded with the row, else looked up."""
    return [
        _loaded_shot_type_label(info, image.shot_type_id) if image.label is NOT_LOADED else image.label
        for image in images
    ]


async def _loaded_shot_type_label(info: Info, shot_type_id: uuid.UUID) -> str:
    row = await info.context.loaders.get(ShotTypeByIdLoader).load(shot_type_id)
    if row is None:
        raise NotFoundError("Shot type")
    return row.name


@strawberry.type(description="A subject's base image for one shot type (at most one per shot type).")
class BaseImage:
    shot_type_id: uuid.UUID = strawberry.field(description="The shot type this image is the subject's base image for.")
    media_id: strawberry.Private[uuid.UUID]
    image_key: strawberry.Private[MediaKey] = NOT_LOADED
    label: strawberry.Private[str | NotLoaded] = NOT_LOADED
    image_url: str = relation(_base_image_urls, description="URL of the stored image.")
    shot_type_label: str = relation(_shot_type_labels, description="The shot type's name.")
    shot_type: ShotType | None = relation(
        visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of),
        description="The shot type; null once it is deleted or when you may not see it.",
    )

    @classmethod
    def of(cls, row: SubjectBaseImageRow | LoadedSubjectBaseImage) -> BaseImage:
        return _present_base_image(row)


@strawberry.type(description="A subject's base images (the documented BaseImageListResponse).")
class BaseImages:
    data: list[BaseImage] = strawberry.field(description="One base image per shot type, oldest first.")


@strawberry.type(description="Body measurements (centimetres, EU shoe size) and colouring.")
class SubjectMeasurements(Presented[SubjectMeasurementsRow | LoadedSubjectMeasurements | JoinedMeasurements]):
    id: uuid.UUID = strawberry.field(description="Id of the measurements record (one per subject).")
    bust_cm: float | None = strawberry.field(description="Bust circumference in centimetres; null: not given.")
    waist_cm: float | None = strawberry.field(description="Waist circumference in centimetres; null: not given.")
    hips_cm: float | None = strawberry.field(description="Hip circumference in centimetres; null: not given.")
    height_cm: float | None = strawberry.field(description="Height in centimetres; null: not given.")
    shoe_eu: float | None = strawberry.field(description="Shoe size, EU scale (half sizes allowed); null: not given.")
    eye_color: EyeColor | None = strawberry.field(description="Eye colour; null: not given.")
    hair_color: HairColor | None = strawberry.field(description="Hair colour; null: not given.")


def _data_image_urls(subjects: Sequence[Subject], info: Info) -> list[list[str] | Awaitable[list[str]]]:
    """The level form of `dataImageUrls`: at once from the storage keys the subject's row brought (a subject read by
    id or in a list), else through the loader, which brings each image's storage key along (no media look-up)."""
    return [
        _loaded_data_image_urls(info, subject.id)
        if (keys := subject.joined_data_image_keys) is NOT_LOADED
        else _urls(info, keys)
        for subject in subjects
    ]


def _urls(info: Info, keys: Sequence[str | None]) -> list[str]:
    """The URLs of the stored images among `keys` (an image whose media row is gone has none, and is left out)."""
    url = storage_urls(info)
    return [url(key) for key in keys if key is not None]


async def _loaded_data_image_urls(info: Info, subject_id: uuid.UUID) -> list[str]:
    rows = await info.context.loaders.get(SubjectDataImagesBySubjectIdLoader).load(subject_id)
    return _urls(info, [joined_key(row, "image_key") for row in rows])


def _base_images(subjects: Sequence[Subject], info: Info) -> list[list[BaseImage] | Awaitable[list[BaseImage]]]:
    """The level form of `baseImages`: at once from the columns the subject's row brought (a subject read by id or
    in a list, graph/subjects/loaders.JoinedBaseImages), else through their loader."""
    return [
        _loaded_base_images(info, subject.id)
        if (joined := subject.joined_base_images) is NOT_LOADED
        else list(map(_joined_base_image, *joined))
        for subject in subjects
    ]


def _joined_base_image(shot_type_id: uuid.UUID, media_id: uuid.UUID, label: str, image_key: str | None) -> BaseImage:
    # The fields BaseImage.of fills from a loaded row, positionally: ~800 of them on a page of subjects.
    made = object.__new__(BaseImage)
    made.shot_type_id = shot_type_id
    made.media_id = media_id
    made.image_key = image_key
    made.label = label
    return made


async def _loaded_base_images(info: Info, subject_id: uuid.UUID) -> list[BaseImage]:
    rows = await info.context.loaders.get(SubjectBaseImagesBySubjectIdLoader).load(subject_id)
    return [BaseImage.of(row) for row in rows]


def _measurements(
    subjects: Sequence[Subject], info: Info
) -> list[SubjectMeasurements | Awaitable[SubjectMeasurements | None] | None]:
    """The level form of `measurements`: at once when the subject's row brought them (a subject read by id or in a
    list, graph/subjects/loaders.LoadedSubjectDetail), else through their loader."""
    return [
        _loaded_measurements(info, subject.id)
        if (joined := subject.joined_measurements) is NOT_LOADED
        else None
        if joined is None
        else SubjectMeasurements.of(joined)
        for subject in subjects
    ]


async def _loaded_measurements(info: Info, subject_id: uuid.UUID) -> SubjectMeasurements | None:
    row = await info.context.loaders.get(SubjectMeasurementsBySubjectIdLoader).load(subject_id)
    return None if row is None else SubjectMeasurements.of(row)


@strawberry.type(description="A subject (an AI model): who it is, its images, measurements and LoRA state.")
class Subject:
    id: uuid.UUID = strawberry.field(description=shared.ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    name: str = strawberry.field(description="First name (not blank, at most 255 characters).")
    surname: str | None = strawberry.field(description="Family name, if any (at most 255 characters).")
    slug: str = strawberry.field(description="Made from the name at creation; renames keep it.")
    description: str | None = strawberry.field(description="Free text about the subject.")
    age_class: SubjectAgeClass = strawberry.field(description="The subject's age group.")
    gender: Gender = strawberry.field(description="The subject's gender.")
    subject_type: SubjectType = strawberry.field(description="A generated model (AI) or a real person (HUMAN).")
    body_type: BodyType | None = strawberry.field(description="The subject's build; null: not given.")
    positive_prompt: str | None = strawberry.field(description="Prompt text that images of this subject should follow.")
    negative_prompt: str | None = strawberry.field(description="Prompt text that images of this subject should avoid.")
    ethnicity: str | None = strawberry.field(description="Ethnicity, as free text (at most 255 characters).")
    public: bool = strawberry.field(description=shared.PUBLIC)
    enabled: bool = strawberry.field(description="Whether the subject is in use; true, and no input changes it.")
    ready: bool = strawberry.field(description="Only true while the subject has at least one base image.")
    lora_status: str = strawberry.field(description="none, processing, ready or failed.")
    lora_trigger: str | None = strawberry.field(
        description="The word that calls up the subject's LoRA in a prompt; null: none set."
    )
    lora_error: str | None = strawberry.field(description="Why the last LoRA upload failed (loraStatus failed).")
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    cover_image_media_id: strawberry.Private[uuid.UUID | None]
    portrait_image_media_id: strawberry.Private[uuid.UUID | None]
    cover_key: strawberry.Private[MediaKey] = NOT_LOADED
    portrait_key: strawberry.Private[MediaKey] = NOT_LOADED
    # The measurements when the row brought them (None: the subject has none); NOT_LOADED: ask their loader.
    joined_measurements: strawberry.Private[JoinedMeasurements | NotLoaded | None] = NOT_LOADED
    # The base images and the data images' storage keys when the row brought them; NOT_LOADED: ask their loaders.
    joined_base_images: strawberry.Private[JoinedBaseImages | NotLoaded] = NOT_LOADED
    joined_data_image_keys: strawberry.Private[list[str] | NotLoaded] = NOT_LOADED
    cover_image_url: str | None = relation(
        media_urls("cover_key", "cover_image_media_id"), description="URL of the stored cover image."
    )
    portrait_image_url: str | None = relation(
        media_urls("portrait_key", "portrait_image_media_id"), description="URL of the stored portrait image."
    )
    data_image_urls: list[str] = relation(
        _data_image_urls, description="URLs of the data (training) images, in their order."
    )
    cover_image_media: MediaResource | None = relation(
        media_of("cover_image_media_id"), description="The stored cover image."
    )
    portrait_image_media: MediaResource | None = relation(
        media_of("portrait_image_media_id"), description="The stored portrait image."
    )
    data_images_media: list[MediaResource] = relation(
        linked_media(SubjectDataImagesBySubjectIdLoader), description="The data (training) images, in their order."
    )
    portfolio_images_media: list[MediaResource] = relation(
        linked_media(SubjectPortfolioImagesBySubjectIdLoader), description="The portfolio images, in their order."
    )
    base_images: list[BaseImage] = relation(
        _base_images,
        description="One base image per shot type, oldest first.",
    )
    measurements: SubjectMeasurements | None = relation(
        _measurements,
        description="Body measurements and colouring; null when none were given.",
    )

    @classmethod
    def of(cls, row: SubjectRow) -> Subject:
        """A subject from its entity (root resolvers, mutations); a loader's row takes `present_loaded_subject`."""
        return _present_subject(row)


@strawberry.type(description="A subject with the fields only superusers see.")
class SubjectAdmin(Subject):
    local_model_path: str | None = strawberry.field(
        description=(
            "The LoRA weights; after an upload, a storage key (relative to the storage folder or bucket prefix of"
            " STORAGE_URL)."
        )
    )
    lora_info: LoraInfo | None = strawberry.field(description="What the stored LoRA file holds.")

    @field(description="The file name of localModelPath, when there is one.")
    def lora_filename(self) -> str | None:
        if not self.local_model_path:
            return None
        return _PATH_SEPARATORS.split(self.local_model_path.rstrip("/\\"))[-1] or None

    @classmethod
    def of(cls, row: SubjectRow) -> SubjectAdmin:
        return _present_subject_admin(row)


_present_base_image = RowPresenter(BaseImage, renamed={"label": "shot_type_name"})
_present_subject = RowPresenter(Subject, convert={"lora_status": status_name})
_present_subject_admin = RowPresenter(SubjectAdmin, convert={"lora_status": status_name, "lora_info": LoraInfo.maybe})


def present_loaded_subject(row: LoadedSubject | LoadedSubjectDetail) -> Subject:
    """A subject from a loader's row (SubjectByIdLoader's, or SubjectsByGuidelineIdLoader's), the presenter of the
    relations that answer subjects. Not `Subject.of`: SubjectAdmin.of overrides it for the entity only (the loaders
    leave out the admin columns), so `of` cannot declare these rows too."""
    return _present_subject(row)
