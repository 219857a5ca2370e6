"""A subject's related rows, batched by subject id (each list in its stored order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import cast, func, literal_column, null, select, true
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import aliased

from db.models import (
    MediaResource,
    ShotType,
    Subject,
    SubjectBaseImage,
    SubjectDataImage,
    SubjectMeasurements,
    SubjectPortfolioImage,
)
from db.models.enums import BodyType, EyeColor, Gender, HairColor, LoraStatus, SubjectAgeClass, SubjectType
from graph.loaders import (
    AnySelect,
    GroupedRowsLoader,
    RowByIdLoader,
    StatementLoader,
    columns,
    in_batch,
    join_media_keys,
)
from graph.media.keys import NOT_LOADED, NotLoaded

# A subject's columns only superusers see (the admin queries load them themselves): left out of the loaders that
# answer the Subject type.
ADMIN_ONLY_COLUMNS = ("lora_info", "local_model_path", "lora_upload_key")
# The storage keys that come along with a subject (graph/media/keys.py).
SUBJECT_MEDIA_KEYS = {"cover_key": "cover_image_media_id", "portrait_key": "portrait_image_media_id"}


class LoadedSubject(NamedTuple):
    """A subject without ADMIN_ONLY_COLUMNS, with its cover and portrait storage keys."""

    name: str
    surname: str | None
    slug: str
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
    ready: bool
    lora_status: LoraStatus
    lora_trigger: str | None
    lora_error: str | None
    cover_image_media_id: uuid.UUID | None
    portrait_image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    cover_key: str | None
    portrait_key: str | None


class JoinedMeasurements(NamedTuple):
    """A subject's measurements as its detail row brings them (the columns the SubjectMeasurements type shows)."""

    id: uuid.UUID
    bust_cm: float | None
    waist_cm: float | None
    hips_cm: float | None
    height_cm: float | None
    shoe_eu: float | None
    eye_color: EyeColor | None
    hair_color: HairColor | None


# The measurements' columns a detail row brings, each under the label `measurements_<column>`.
_MEASUREMENTS_COLUMNS = JoinedMeasurements._fields


class LoadedSubjectDetail(NamedTuple):
    """LoadedSubject's columns, then the subject's measurements, joined (all None when it has none), then its images
    when the statement brings them (`with_images`): a subject read by id or in a list answers them without a
    statement of their own, as the baseline's one row does."""

    name: str
    surname: str | None
    slug: str
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
    ready: bool
    lora_status: LoraStatus
    lora_trigger: str | None
    lora_error: str | None
    cover_image_media_id: uuid.UUID | None
    portrait_image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    cover_key: str | None
    portrait_key: str | None
    measurements_id: uuid.UUID | None
    measurements_bust_cm: float | None
    measurements_waist_cm: float | None
    measurements_hips_cm: float | None
    measurements_height_cm: float | None
    measurements_shoe_eu: float | None
    measurements_eye_color: EyeColor | None
    measurements_hair_color: HairColor | None
    # The base images' columns and the data images' storage keys, when the statement brings them (`with_images`;
    # [] for none), else None.
    base_image_shot_type_ids: list[uuid.UUID] | None
    base_image_media_ids: list[uuid.UUID] | None
    base_image_labels: list[str] | None
    base_image_keys: list[str] | None
    data_image_keys: list[str] | None

    @property
    def joined_measurements(self) -> JoinedMeasurements | None:
        """The measurements, None when the subject has none (what graph/subjects/types.Subject keeps of them)."""
        if self.measurements_id is None:
            return None
        return JoinedMeasurements._make(self[_DETAIL_MEASUREMENTS_START:_DETAIL_BASE_IMAGES_START])

    @property
    def joined_base_images(self) -> JoinedBaseImages | NotLoaded:
        """The base images, NOT_LOADED when the statement did not bring them (what types.Subject keeps of them)."""
        if self.base_image_shot_type_ids is None:
            return NOT_LOADED
        return JoinedBaseImages._make(self[_DETAIL_BASE_IMAGES_START:_DETAIL_DATA_IMAGES_START])

    @property
    def joined_data_image_keys(self) -> list[str] | NotLoaded:
        """The data images' storage keys, NOT_LOADED when the statement did not bring them."""
        keys = self.data_image_keys
        return NOT_LOADED if keys is None else keys


class JoinedBaseImages(NamedTuple):
    """A subject's base images as its detail row brings them: a column each, in the order of
    SubjectBaseImagesBySubjectIdLoader (oldest first), with what BaseImage shows of them."""

    shot_type_ids: list[uuid.UUID]
    media_ids: list[uuid.UUID]
    labels: list[str]  # the shot type's name, visible or not, as SubjectBaseImagesBySubjectIdLoader's join reads it
    keys: list[str]  # the images' storage keys


_DETAIL_MEASUREMENTS_START = LoadedSubjectDetail._fields.index("measurements_id")
_DETAIL_BASE_IMAGES_START = LoadedSubjectDetail._fields.index("base_image_shot_type_ids")
_DETAIL_DATA_IMAGES_START = LoadedSubjectDetail._fields.index("data_image_keys")


def with_measurements(statement: AnySelect) -> AnySelect:
    """`statement`, a SELECT of subjects, with each subject's measurements (outer join: one row at most per
    subject, `subject_id` is unique) as `LoadedSubjectDetail`'s last columns."""
    measurements = aliased(SubjectMeasurements)
    return statement.outerjoin(measurements, measurements.subject_id == Subject.id).add_columns(
        *(getattr(measurements, name).label(f"measurements_{name}") for name in _MEASUREMENTS_COLUMNS)
    )


def with_images(statement: AnySelect, *, base_images: bool, data_image_keys: bool) -> AnySelect:
    """`statement`, a SELECT of subjects, with `LoadedSubjectDetail`'s last columns: each subject's base images
    (`JoinedBaseImages`' columns, as arrays) when `base_images`, its data images' storage keys (an array, in their
    order) when `data_image_keys`, and NULL for what is not asked for. A subject read by id or in a list then
    answers them without a statement of their own.

    Aggregated per subject, like the rule groups' shot type ids (graph/guidelines/loaders.py): the few images of one
    subject come by index, in the rows and order of SubjectBaseImagesBySubjectIdLoader and
    SubjectDataImagesBySubjectIdLoader, which answer subjects loaded otherwise. Their media are joined, not outer
    joined as those loaders do: an image's media row cannot go while the image names it (RESTRICT) and its storage
    key is never null, so no image is lost, and the keys are declared as they are (never null). Only when asked
    for: a page of 100 subjects with ~800 base images took ~2 ms more of the server's time with them."""
    image = aliased(SubjectBaseImage)
    shot_type = aliased(ShotType)
    media = aliased(MediaResource)
    base_columns = (
        (image.shot_type_id, "shot_type_ids"),
        (image.media_id, "media_ids"),
        (shot_type.name, "labels"),
        (media.storage_key, "keys"),
    )
    if base_images:
        order = (image.created_at, image.id)
        aggregated = (
            select(*(_aggregated(column, *order).label(label) for column, label in base_columns))
            .select_from(image)
            .join(shot_type, shot_type.id == image.shot_type_id)
            .join(media, media.id == image.media_id)
            .where(image.subject_id == Subject.id)
            .lateral("base_images")
        )
        statement = statement.join(aggregated, true())
        base: list[Any] = [aggregated.c[label] for _, label in base_columns]
    else:
        base = [_not_brought(column) for column, _ in base_columns]
    data_image = aliased(SubjectDataImage)
    data_media = aliased(MediaResource)
    data_keys: Any = (
        select(_aggregated(data_media.storage_key, data_image.position, data_image.id))
        .select_from(data_image)
        .join(data_media, data_media.id == data_image.media_id)
        .where(data_image.subject_id == Subject.id)
        .scalar_subquery()
        if data_image_keys
        else _not_brought(data_media.storage_key)
    )
    return statement.add_columns(
        *(column.label(f"base_image_{label}") for column, (_, label) in zip(base, base_columns, strict=True)),
        data_keys.label("data_image_keys"),
    )


def _aggregated(column: Any, *order: Any) -> Any:
    """`column`'s values in `order`, as an array; an empty one when there are none (NULL says: not brought)."""
    return func.coalesce(func.array_agg(aggregate_order_by(column, *order)), literal_column("'{}'"))


def _not_brought(column: Any) -> Any:
    """NULL as an array of `column`'s type: the column a statement without it selects in its place."""
    return cast(null(), ARRAY(column.type))


class LoadedSubjectBaseImage(NamedTuple):
    subject_id: uuid.UUID
    shot_type_id: uuid.UUID
    media_id: uuid.UUID
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    shot_type_name: str
    image_key: str | None


class LoadedSubjectMeasurements(NamedTuple):
    subject_id: uuid.UUID
    bust_cm: float | None
    waist_cm: float | None
    hips_cm: float | None
    height_cm: float | None
    shoe_eu: float | None
    eye_color: EyeColor | None
    hair_color: HairColor | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class LoadedSubjectDataImage(NamedTuple):
    subject_id: uuid.UUID
    media_id: uuid.UUID
    position: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    image_key: str | None


class LoadedSubjectPortfolioImage(NamedTuple):
    subject_id: uuid.UUID
    media_id: uuid.UUID
    position: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class SubjectByIdLoader(RowByIdLoader[LoadedSubjectDetail]):
    """Subjects by id, with their cover and portrait storage keys and their measurements (a set design's subjects,
    without their images: a batch of them would aggregate images that are mostly not asked for)."""

    model = Subject
    left_out = ADMIN_ONLY_COLUMNS
    media_keys = SUBJECT_MEDIA_KEYS

    @classmethod
    def detail_select(cls, *, base_images: bool, data_image_keys: bool) -> AnySelect:
        """The detail rows' SELECT, without a WHERE: the by-id batches' and the subject lists' (graph/subjects),
        with the images asked for (`with_images`)."""
        return with_images(
            with_measurements(cls.row_select()), base_images=base_images, data_image_keys=data_image_keys
        )

    @classmethod
    def statement(cls) -> AnySelect:
        return cls.detail_select(base_images=False, data_image_keys=False).where(in_batch(Subject.id))


class SubjectWithImagesByIdLoader(SubjectByIdLoader):
    """`SubjectByIdLoader`'s rows with the subject's base images and its data images' storage keys: the root
    `subject`'s, whose detail view shows them. One subject's images cost the server ~0.09 ms, less than the
    statements of their own they replace (4 statements per request -> 2), so they are always brought."""

    @classmethod
    def statement(cls) -> AnySelect:
        return cls.detail_select(base_images=True, data_image_keys=True).where(in_batch(Subject.id))


class SubjectBaseImagesBySubjectIdLoader(GroupedRowsLoader[LoadedSubjectBaseImage]):
    """With the shot type's name (its label), joined."""

    group_key = "subject_id"

    @classmethod
    def statement(cls) -> AnySelect:
        return (
            join_media_keys(
                select(*columns(SubjectBaseImage), ShotType.name.label("shot_type_name")).join(
                    ShotType, ShotType.id == SubjectBaseImage.shot_type_id
                ),
                {"image_key": SubjectBaseImage.media_id},
            )
            .where(in_batch(SubjectBaseImage.subject_id))
            .order_by(SubjectBaseImage.created_at, SubjectBaseImage.id)
        )


class SubjectMeasurementsBySubjectIdLoader(
    StatementLoader[uuid.UUID, LoadedSubjectMeasurements | None, LoadedSubjectMeasurements]
):
    @classmethod
    def statement(cls) -> AnySelect:
        return select(*columns(SubjectMeasurements)).where(in_batch(SubjectMeasurements.subject_id))

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[LoadedSubjectMeasurements | None]:
        by_subject = {row.subject_id: row for row in await self.rows(keys)}
        return [by_subject.get(key) for key in keys]


class SubjectDataImagesBySubjectIdLoader(GroupedRowsLoader[LoadedSubjectDataImage]):
    model = SubjectDataImage
    group_key = "subject_id"
    order = ("position", "id")
    media_keys = {"image_key": "media_id"}


class SubjectPortfolioImagesBySubjectIdLoader(GroupedRowsLoader[LoadedSubjectPortfolioImage]):
    model = SubjectPortfolioImage
    group_key = "subject_id"
    order = ("position", "id")
