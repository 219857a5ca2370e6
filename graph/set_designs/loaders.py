"""A set design's nested lists, each in its stored order (the order they were given in)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import SetBaseImage, SetDesign, SetReferenceImage, SetSubjectPortrait
from graph.loaders import RowByIdLoader, SessionLoader, group_by


class SetDesignByIdLoader(RowByIdLoader[SetDesign]):
    """For objects that point at a set design (guidelines); they check visibility (`can_read`)."""

    model = SetDesign


class SetBaseImagesBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetBaseImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetBaseImage]]:
        rows = await self.fetch_all(
            select(SetBaseImage)
            .where(SetBaseImage.set_design_id.in_(keys))
            .order_by(SetBaseImage.created_at, SetBaseImage.id)
        )
        return group_by(rows, "set_design_id", keys)


class SetReferenceImagesBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetReferenceImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetReferenceImage]]:
        rows = await self.fetch_all(
            select(SetReferenceImage)
            .where(SetReferenceImage.set_design_id.in_(keys))
            .order_by(SetReferenceImage.position, SetReferenceImage.created_at, SetReferenceImage.id)
        )
        return group_by(rows, "set_design_id", keys)


class SetSubjectPortraitsBySetDesignIdLoader(SessionLoader[uuid.UUID, list[SetSubjectPortrait]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SetSubjectPortrait]]:
        rows = await self.fetch_all(
            select(SetSubjectPortrait)
            .where(SetSubjectPortrait.set_design_id.in_(keys))
            .order_by(SetSubjectPortrait.created_at, SetSubjectPortrait.id)
        )
        return group_by(rows, "set_design_id", keys)
