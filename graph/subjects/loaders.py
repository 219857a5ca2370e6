"""A subject's related rows, batched by subject id (each list in its stored order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import ShotType, SubjectBaseImage, SubjectDataImage, SubjectMeasurements, SubjectPortfolioImage
from graph.loaders import SessionLoader, any_key, group_by
from graph.media.keys import join_media_keys


class SubjectBaseImagesBySubjectIdLoader(SessionLoader[uuid.UUID, list[SubjectBaseImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SubjectBaseImage]]:
        rows = await self.fetch_rows(
            join_media_keys(
                select(*SubjectBaseImage.__table__.columns, ShotType.name.label("shot_type_name")).join(
                    ShotType, ShotType.id == SubjectBaseImage.shot_type_id
                ),
                {"image_key": SubjectBaseImage.media_id},
            )
            .where(any_key(SubjectBaseImage.subject_id, keys))
            .order_by(SubjectBaseImage.created_at, SubjectBaseImage.id)
        )
        return group_by(rows, "subject_id", keys)


class SubjectMeasurementsBySubjectIdLoader(SessionLoader[uuid.UUID, SubjectMeasurements | None]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[SubjectMeasurements | None]:
        rows = await self.fetch_all(select(SubjectMeasurements).where(any_key(SubjectMeasurements.subject_id, keys)))
        by_subject = {row.subject_id: row for row in rows}
        return [by_subject.get(key) for key in keys]


class SubjectDataImagesBySubjectIdLoader(SessionLoader[uuid.UUID, list[SubjectDataImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SubjectDataImage]]:
        rows = await self.fetch_all(
            select(SubjectDataImage)
            .where(any_key(SubjectDataImage.subject_id, keys))
            .order_by(SubjectDataImage.position, SubjectDataImage.id)
        )
        return group_by(rows, "subject_id", keys)


class SubjectPortfolioImagesBySubjectIdLoader(SessionLoader[uuid.UUID, list[SubjectPortfolioImage]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[SubjectPortfolioImage]]:
        rows = await self.fetch_all(
            select(SubjectPortfolioImage)
            .where(any_key(SubjectPortfolioImage.subject_id, keys))
            .order_by(SubjectPortfolioImage.position, SubjectPortfolioImage.id)
        )
        return group_by(rows, "subject_id", keys)
