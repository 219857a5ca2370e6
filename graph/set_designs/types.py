from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import strawberry

from db.models import SetBaseImage as SetBaseImageRow
from db.models import SetDesign as SetDesignRow
from db.models import SetReferenceImage as SetReferenceImageRow
from db.models import SetSubjectPortrait as SetSubjectPortraitRow
from graph.background_presets.loaders import BackgroundPresetByIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.context import Info
from graph.execution.levels import answers_levels
from graph.loaders import GroupedRowsLoader
from graph.media.keys import UNKNOWN, load_media, media_url, media_urls
from graph.media.types import MediaResource
from graph.presenting import present
from graph.relations import visible_one
from graph.set_designs.loaders import (
    SetBaseImagesBySetDesignIdLoader,
    SetReferenceImagesBySetDesignIdLoader,
    SetSubjectPortraitsBySetDesignIdLoader,
)
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from graph.subjects.loaders import SubjectByIdLoader
from graph.subjects.types import Subject

OutT = TypeVar("OutT")


_SUBJECT = visible_one(SubjectByIdLoader, "subject_id", Subject.of)
_SHOT_TYPE = visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of)


@strawberry.type(description="A base image of one subject for one shot type in a set.")
class SetBaseImage:
    id: uuid.UUID
    subject_id: uuid.UUID
    shot_type_id: uuid.UUID
    variant_index: int
    created_at: datetime
    updated_at: datetime
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[str | None] = UNKNOWN

    @strawberry.field(description="The stored image.")
    async def image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.image_media_id)

    @strawberry.field(description="URL of the stored image.")
    @answers_levels(media_urls("image_key", "image_media_id"))
    def image_url(self, info: Info) -> str | None:
        return media_url(info, self.image_key, self.image_media_id)  # type: ignore[return-value] # may be awaitable

    @strawberry.field(description="The subject; null once it is deleted or when you may not see it.")
    @answers_levels(_SUBJECT)
    async def subject(self, info: Info) -> Subject | None:
        return (await _SUBJECT([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(description="The shot type; null once it is deleted or when you may not see it.")
    @answers_levels(_SHOT_TYPE)
    async def shot_type(self, info: Info) -> ShotType | None:
        return (await _SHOT_TYPE([self], info))[0]  # type: ignore[no-any-return]

    @classmethod
    def of(cls, row: SetBaseImageRow) -> SetBaseImage:
        return present(cls, row)


@strawberry.type(description="A reference image for one shot type in a set.")
class SetReferenceImage:
    id: uuid.UUID
    shot_type_id: uuid.UUID
    label: str | None
    created_at: datetime
    updated_at: datetime
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[str | None] = UNKNOWN

    @strawberry.field(description="The stored image.")
    async def image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.image_media_id)

    @strawberry.field(description="URL of the stored image.")
    @answers_levels(media_urls("image_key", "image_media_id"))
    def image_url(self, info: Info) -> str | None:
        return media_url(info, self.image_key, self.image_media_id)  # type: ignore[return-value] # may be awaitable

    @strawberry.field(description="The shot type; null once it is deleted or when you may not see it.")
    @answers_levels(_SHOT_TYPE)
    async def shot_type(self, info: Info) -> ShotType | None:
        return (await _SHOT_TYPE([self], info))[0]  # type: ignore[no-any-return]

    @classmethod
    def of(cls, row: SetReferenceImageRow) -> SetReferenceImage:
        return present(cls, row)


@strawberry.type(description="A portrait of one subject in a set.")
class SubjectPortrait:
    id: uuid.UUID
    subject_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[str | None] = UNKNOWN

    @strawberry.field(description="The stored image.")
    async def image_media(self, info: Info) -> MediaResource | None:
        return await load_media(info, self.image_media_id)

    @strawberry.field(description="URL of the stored image.")
    @answers_levels(media_urls("image_key", "image_media_id"))
    def image_url(self, info: Info) -> str | None:
        return media_url(info, self.image_key, self.image_media_id)  # type: ignore[return-value] # may be awaitable

    @strawberry.field(description="The subject; null once it is deleted or when you may not see it.")
    @answers_levels(_SUBJECT)
    async def subject(self, info: Info) -> Subject | None:
        return (await _SUBJECT([self], info))[0]  # type: ignore[no-any-return]

    @classmethod
    def of(cls, row: SetSubjectPortraitRow) -> SubjectPortrait:
        return present(cls, row)


def _per_design(
    loader_class: type[GroupedRowsLoader[Any]], of: Callable[[Any], OutT]
) -> Callable[[Sequence[SetDesign], Info], Awaitable[list[list[OutT]]]]:
    """A list relation's whole-level form (graph/execution/levels.py): each design's rows, presented."""

    async def level(designs: Sequence[SetDesign], info: Info) -> list[list[OutT]]:
        row_lists = await info.context.loaders.get(loader_class).load_many([design.id for design in designs])
        return [[of(row) for row in rows] for rows in row_lists]

    return level


_BASE_IMAGES = _per_design(SetBaseImagesBySetDesignIdLoader, SetBaseImage.of)
_BACKGROUND_PRESET = visible_one(BackgroundPresetByIdLoader, "background_preset_id", BackgroundPreset.of)
_REFERENCE_IMAGES = _per_design(SetReferenceImagesBySetDesignIdLoader, SetReferenceImage.of)
_SUBJECT_PORTRAITS = _per_design(SetSubjectPortraitsBySetDesignIdLoader, SubjectPortrait.of)


@strawberry.type(description="A set: a background preset with base images, reference images and portraits.")
class SetDesign:
    id: uuid.UUID
    name: str
    description: str | None
    background_preset_id: uuid.UUID | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @strawberry.field(description="The background preset; null when there is none or you may not see it.")
    @answers_levels(_BACKGROUND_PRESET)
    async def background_preset(self, info: Info) -> BackgroundPreset | None:
        return (await _BACKGROUND_PRESET([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(description="Base images, in the order they were given.")
    @answers_levels(_BASE_IMAGES)
    async def base_images(self, info: Info) -> list[SetBaseImage]:
        return (await _BASE_IMAGES([self], info))[0]

    @strawberry.field(description="Reference images, in the order they were given.")
    @answers_levels(_REFERENCE_IMAGES)
    async def reference_images(self, info: Info) -> list[SetReferenceImage]:
        return (await _REFERENCE_IMAGES([self], info))[0]

    @strawberry.field(description="Subject portraits, in the order they were given.")
    @answers_levels(_SUBJECT_PORTRAITS)
    async def subject_portraits(self, info: Info) -> list[SubjectPortrait]:
        return (await _SUBJECT_PORTRAITS([self], info))[0]

    @classmethod
    def of(cls, row: SetDesignRow) -> SetDesign:
        return present(cls, row)


@strawberry.type
class SetDesigns:
    data: list[SetDesign]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")
