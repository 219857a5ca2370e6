"""A set design's nested lists, each in its stored order (the order they were given in)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import SetBaseImage, SetDesign, SetReferenceImage, SetSubjectPortrait
from graph.loaders import GroupedRowsLoader, RowByIdLoader


class LoadedSetDesign(NamedTuple):
    name: str
    description: str | None
    background_preset_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None


class LoadedSetBaseImage(NamedTuple):
    set_design_id: uuid.UUID
    subject_id: uuid.UUID
    shot_type_id: uuid.UUID
    variant_index: int
    image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    image_key: str | None  # the image's storage key (graph/media/keys.py)


class LoadedSetReferenceImage(NamedTuple):
    set_design_id: uuid.UUID
    shot_type_id: uuid.UUID
    label: str | None
    position: int
    image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    image_key: str | None


class LoadedSetSubjectPortrait(NamedTuple):
    set_design_id: uuid.UUID
    subject_id: uuid.UUID
    image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    image_key: str | None


class SetDesignByIdLoader(RowByIdLoader[LoadedSetDesign]):
    """For objects that point at a set design (guidelines); they check visibility (`can_read`)."""

    model = SetDesign


class SetBaseImagesBySetDesignIdLoader(GroupedRowsLoader[LoadedSetBaseImage]):
    model = SetBaseImage
    group_key = "set_design_id"
    order = ("created_at", "id")
    media_keys = {"image_key": "image_media_id"}


class SetReferenceImagesBySetDesignIdLoader(GroupedRowsLoader[LoadedSetReferenceImage]):
    model = SetReferenceImage
    group_key = "set_design_id"
    order = ("position", "created_at", "id")
    media_keys = {"image_key": "image_media_id"}


class SetSubjectPortraitsBySetDesignIdLoader(GroupedRowsLoader[LoadedSetSubjectPortrait]):
    model = SetSubjectPortrait
    group_key = "set_design_id"
    order = ("created_at", "id")
    media_keys = {"image_key": "image_media_id"}
