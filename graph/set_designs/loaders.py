"""A set design's nested lists, each in its stored order (the order they were given in)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from db.models import SetBaseImage, SetDesign, SetReferenceImage, SetSubjectPortrait
from graph.loaders import GroupedRowsLoader, RowByIdLoader, columns, in_batch
from graph.media.keys import join_media_keys


class SetDesignByIdLoader(RowByIdLoader[SetDesign]):
    """For objects that point at a set design (guidelines); they check visibility (`can_read`)."""

    model = SetDesign


class SetBaseImagesBySetDesignIdLoader(GroupedRowsLoader[SetBaseImage]):
    group_key = "set_design_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            join_media_keys(select(*columns(SetBaseImage)), {"image_key": SetBaseImage.image_media_id})
            .where(in_batch(SetBaseImage.set_design_id))
            .order_by(SetBaseImage.created_at, SetBaseImage.id)
        )


class SetReferenceImagesBySetDesignIdLoader(GroupedRowsLoader[SetReferenceImage]):
    group_key = "set_design_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            join_media_keys(select(*columns(SetReferenceImage)), {"image_key": SetReferenceImage.image_media_id})
            .where(in_batch(SetReferenceImage.set_design_id))
            .order_by(SetReferenceImage.position, SetReferenceImage.created_at, SetReferenceImage.id)
        )


class SetSubjectPortraitsBySetDesignIdLoader(GroupedRowsLoader[SetSubjectPortrait]):
    group_key = "set_design_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            join_media_keys(select(*columns(SetSubjectPortrait)), {"image_key": SetSubjectPortrait.image_media_id})
            .where(in_batch(SetSubjectPortrait.set_design_id))
            .order_by(SetSubjectPortrait.created_at, SetSubjectPortrait.id)
        )
