"""A subject's related rows, batched by subject id (each list in its stored order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from db.models import (
    ShotType,
    Subject,
    SubjectBaseImage,
    SubjectDataImage,
    SubjectMeasurements,
    SubjectPortfolioImage,
)
from graph.loaders import GroupedRowsLoader, RowByIdLoader, StatementLoader, columns, in_batch
from graph.media.keys import join_media_keys

# A subject's columns only superusers see (the admin queries load them themselves): left out of the loaders that
# answer the Subject type.
ADMIN_ONLY_COLUMNS = ("lora_info", "local_model_path", "lora_upload_key")


class SubjectByIdLoader(RowByIdLoader[Subject]):
    """Subjects by id, with their cover and portrait storage keys (graph/media/keys.py)."""

    model = Subject

    @classmethod
    def statement(cls) -> Select[Any]:
        shown = [column for column in columns(Subject) if column.key not in ADMIN_ONLY_COLUMNS]
        return join_media_keys(
            select(*shown),
            {"cover_key": Subject.cover_image_media_id, "portrait_key": Subject.portrait_image_media_id},
        ).where(in_batch(Subject.id))


class SubjectBaseImagesBySubjectIdLoader(GroupedRowsLoader[SubjectBaseImage]):
    group_key = "subject_id"

    @classmethod
    def statement(cls) -> Select[Any]:
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


class SubjectMeasurementsBySubjectIdLoader(StatementLoader[uuid.UUID, SubjectMeasurements | None]):
    @classmethod
    def statement(cls) -> Select[Any]:
        return select(*columns(SubjectMeasurements)).where(in_batch(SubjectMeasurements.subject_id))

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[SubjectMeasurements | None]:
        by_subject = {row.subject_id: row for row in await self.rows(keys)}
        return [by_subject.get(key) for key in keys]


class SubjectDataImagesBySubjectIdLoader(GroupedRowsLoader[SubjectDataImage]):
    group_key = "subject_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            join_media_keys(select(*columns(SubjectDataImage)), {"image_key": SubjectDataImage.media_id})
            .where(in_batch(SubjectDataImage.subject_id))
            .order_by(SubjectDataImage.position, SubjectDataImage.id)
        )


class SubjectPortfolioImagesBySubjectIdLoader(GroupedRowsLoader[SubjectPortfolioImage]):
    group_key = "subject_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            select(*columns(SubjectPortfolioImage))
            .where(in_batch(SubjectPortfolioImage.subject_id))
            .order_by(SubjectPortfolioImage.position, SubjectPortfolioImage.id)
        )
