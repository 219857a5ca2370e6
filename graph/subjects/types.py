from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

import strawberry

from db.models import Subject as SubjectRow
from db.models import SubjectBaseImage as SubjectBaseImageRow
from db.models import SubjectMeasurements as SubjectMeasurementsRow
from db.models.enums import BodyType, EyeColor, Gender, HairColor, LoraStatus, SubjectAgeClass, SubjectType
from graph.context import Info
from graph.execution.levels import answers_levels
from graph.lora.types import LoraInfo
from graph.media.keys import UNKNOWN, key_of, load_media, media_url, media_urls, url_of
from graph.media.loaders import MediaResourceByIdLoader
from graph.media.types import MediaResource
from graph.presenting import RowPresenter, present
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from graph.subjects.loaders import (
    SubjectBaseImagesBySubjectIdLoader,
    SubjectDataImagesBySubjectIdLoader,
    SubjectMeasurementsBySubjectIdLoader,
    SubjectPortfolioImagesBySubjectIdLoader,
)
from services.errors import NotFoundError
from services.visibility import can_read

_PATH_SEPARATORS = re.compile(r"[\\/]")


async def _media_list(info: Info, media_ids: list[uuid.UUID]) -> list[MediaResource]:
    rows = await info.context.loaders.get(MediaResourceByIdLoader).load_many(media_ids)
    return [MediaResource.of(row) for row in rows if row is not None]


@strawberry.type(description="A subject's base image for one shot type (at most one per shot type).")
class BaseImage:
    shot_type_id: uuid.UUID
    media_id: strawberry.Private[uuid.UUID]
    image_key: strawberry.Private[str | None] = UNKNOWN
    label: strawberry.Private[str] = UNKNOWN

    @strawberry.field(description="URL of the stored image.")
    def image_url(self, info: Info) -> str:
        if self.image_key is not UNKNOWN:
            if self.image_key is None:
                raise NotFoundError("Base image")
            return url_of(info, self.image_key)  # type: ignore[return-value]
        return self._image_url(info)  # type: ignore[return-value] # a coroutine, awaited by graphql-core

    async def _image_url(self, info: Info) -> str:
        media = await load_media(info, self.media_id)
        if media is None:  # only if the image vanished while this answer was being built
            raise NotFoundError("Base image")
        return media.url(info)

    @strawberry.field(description="The shot type's name.")
    def shot_type_label(self, info: Info) -> str:
        if self.label is not UNKNOWN:
            return self.label  # type: ignore[no-any-return]
        return self._shot_type_label(info)  # type: ignore[return-value] # a coroutine, awaited by graphql-core

    async def _shot_type_label(self, info: Info) -> str:
        row = await info.context.loaders.get(ShotTypeByIdLoader).load(self.shot_type_id)
        if row is None:
            raise NotFoundError("Shot type")
        return row.name

    @strawberry.field(description="The shot type; null once it is deleted or when you may not see it.")
    async def shot_type(self, info: Info) -> ShotType | None:
        row = await info.context.loaders.get(ShotTypeByIdLoader).load(self.shot_type_id)
        if row is None or not can_read(info.context.require_caller(), row):
            return None
        return ShotType.of(row)

    @classmethod
    def of(cls, row: SubjectBaseImageRow) -> BaseImage:
        return _present_base_image(row)


@strawberry.type
class BaseImages:
    data: list[BaseImage]


@strawberry.type(description="Body measurements (centimetres, EU shoe size) and colouring.")
class SubjectMeasurements:
    id: uuid.UUID
    bust_cm: float | None
    waist_cm: float | None
    hips_cm: float | None
    height_cm: float | None
    shoe_eu: float | None
    eye_color: EyeColor | None
    hair_color: HairColor | None

    @classmethod
    def of(cls, row: SubjectMeasurementsRow) -> SubjectMeasurements:
        return present(cls, row)


@strawberry.type(description="A subject (an AI model): who it is, its images, measurements and LoRA state.")
class Subject:
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    name: str
    surname: str | None
    slug: str = strawberry.field(description="Made from the name at creation; renames keep it.")
    description: str | None
    age_class: SubjectAgeClass
    gender: Gender
    subject_type: SubjectType
    body_type: BodyType | None
    positive_prompt: str | None
    negative_prompt: str | None
    ethnicity: str | None
    public: bool
    enabled: bool
    ready: bool = strawberry.field(description="Only true while the subject has at least one base image.")
    lora_status: str = strawberry.field(description="none, processing, ready or failed.")
    lora_trigger: str | None
    lora_error: str | None = strawberry.field(description="Why the last LoRA upload failed (loraStatus failed).")
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    cover_image_media_id: strawberry.Private[uuid.UUID | None]
    portrait_image_media_id: strawberry.Private[uuid.UUID | None]
    cover_key: strawberry.Private[str | None] = UNKNOWN
    portrait_key: strawberry.Private[str | None] = UNKNOWN

    @strawberry.field(description="URL of the stored cover image.")
    @answers_levels(media_urls("cover_key", "cover_image_media_id"))
    def cover_image_url(self, info: Info) -> str | None:
        return media_url(info, self.cover_key, self.cover_image_media_id)  # type: ignore[return-value]

    @strawberry.field(description="URL of the stored portrait image.")
    @answers_levels(media_urls("portrait_key", "portrait_image_media_id"))
    def portrait_image_url(self, info: Info) -> str | None:
        return media_url(info, self.portrait_key, self.portrait_image_media_id)  # type: ignore[return-value]

    @strawberry.field(description="URLs of the data (training) images, in their order.")
    async def data_image_urls(self, info: Info) -> list[str]:
        # The loader brings each image's storage key along: no media look-up.
        rows = await info.context.loaders.get(SubjectDataImagesBySubjectIdLoader).load(self.id)
        return [url for row in rows if (url := url_of(info, key_of(row, "image_key"))) is not None]

    @strawberry.field(description="The stored cover image.")
    async def cover_image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.cover_image_media_id)

    @strawberry.field(description="The stored portrait image.")
    async def portrait_image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.portrait_image_media_id)

    @strawberry.field(description="The data (training) images, in their order.")
    async def data_images_media(self, info: Info) -> list[MediaResource]:
        rows = await info.context.loaders.get(SubjectDataImagesBySubjectIdLoader).load(self.id)
        return await _media_list(info, [row.media_id for row in rows])

    @strawberry.field(description="The portfolio images, in their order.")
    async def portfolio_images_media(self, info: Info) -> list[MediaResource]:
        rows = await info.context.loaders.get(SubjectPortfolioImagesBySubjectIdLoader).load(self.id)
        return await _media_list(info, [row.media_id for row in rows])

    @strawberry.field(description="One base image per shot type, oldest first.")
    @answers_levels(lambda subjects, info: _base_images(info, subjects))
    async def base_images(self, info: Info) -> list[BaseImage]:
        return (await _base_images(info, [self]))[0]

    @strawberry.field
    @answers_levels(lambda subjects, info: _measurements(info, subjects))
    async def measurements(self, info: Info) -> SubjectMeasurements | None:
        return (await _measurements(info, [self]))[0]

    @classmethod
    def of(cls, row: SubjectRow) -> Subject:
        return _present_subject(row)


@strawberry.type(description="A subject with the fields only superusers see.")
class SubjectAdmin(Subject):
    local_model_path: str | None = strawberry.field(
        description="The LoRA weights; after an upload, a storage key relative to STORAGE_DIR."
    )
    lora_info: LoraInfo | None = strawberry.field(description="What the stored LoRA file holds.")

    @strawberry.field(description="The file name of localModelPath, when there is one.")
    def lora_filename(self) -> str | None:
        if not self.local_model_path:
            return None
        return _PATH_SEPARATORS.split(self.local_model_path.rstrip("/\\"))[-1] or None

    @classmethod
    def of(cls, row: SubjectRow) -> SubjectAdmin:
        return _present_subject_admin(row)


# Whole-level forms of the relations (graph/execution/levels.py).


async def _base_images(info: Info, subjects: Sequence[Subject]) -> list[list[BaseImage]]:
    loader = info.context.loaders.get(SubjectBaseImagesBySubjectIdLoader)
    return [[BaseImage.of(row) for row in rows] for rows in await loader.load_many([s.id for s in subjects])]


async def _measurements(info: Info, subjects: Sequence[Subject]) -> list[SubjectMeasurements | None]:
    loader = info.context.loaders.get(SubjectMeasurementsBySubjectIdLoader)
    rows = await loader.load_many([subject.id for subject in subjects])
    return [SubjectMeasurements.of(row) if row is not None else None for row in rows]


def _status_name(status: LoraStatus) -> str:
    return status.value


_present_base_image = RowPresenter(BaseImage, renamed={"label": "shot_type_name"})
_present_subject = RowPresenter(Subject, convert={"lora_status": _status_name})
_present_subject_admin = RowPresenter(SubjectAdmin, convert={"lora_status": _status_name, "lora_info": LoraInfo.maybe})


@strawberry.type
class Subjects:
    data: list[Subject]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")


@strawberry.type
class SubjectsAdmin:
    data: list[SubjectAdmin]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
