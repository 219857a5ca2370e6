"""A set design's nested lists, each in its stored order (the order they were given in)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import SetBaseImage, SetDesign, SetReferenceImage, SetSubjectPortrait
from graph.loaders import RowByIdLoader, SessionLoader, any_key, group_by
from graph.media.keys import join_media_keys


class SetDesignByIdLoader(RowByIdLoader[SetDesign]):
    """For objects that point at a set design (guidelines); they check visibility (`can_read`)."""

    model = SetDesign


class SetBaseImagesBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetBaseImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetBaseImage]]:
        rows = await self.fetch_rows(
            join_media_keys(select(*SetBaseImage.__table__.columns), {"image_key": SetBaseImage.image_media_id})
            .where(any_key(SetBaseImage.set_design_id, keys))
            .order_by(SetBaseImage.created_at, SetBaseImage.id)
        )
        return group_by(rows, "set_design_id", keys)


class SetReferenceImagesBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetReferenceImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetReferenceImage]]:
        rows = await self.fetch_rows(
            join_media_keys(
                select(*SetReferenceImage.__table__.columns), {"image_key": SetReferenceImage.image_media_id}
            )
            .where(any_key(SetReferenceImage.set_design_id, keys))
            .order_by(SetReferenceImage.position, SetReferenceImage.created_at, SetReferenceImage.id)
        )
        return group_by(rows, "set_design_id", keys)


class SetSubjectPortraitsBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetSubjectPortrait]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetSubjectPortrait]]:
        rows = await self.fetch_rows(
            join_media_keys(
                select(*SetSubjectPortrait.__table__.columns), {"image_key": SetSubjectPortrait.image_media_id}
            )
            .where(any_key(SetSubjectPortrait.set_design_id, keys))
            .order_by(SetSubjectPortrait.created_at, SetSubjectPortrait.id)
        )
        return group_by(rows, "set_design_id", keys)
