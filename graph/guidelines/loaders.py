"""What guidelines link to, batched by guidelines id (or rule id), each list in its stored (input) order.

The loaders answer every linked row, soft-deleted or not: the fields filter them with `can_read` for the caller,
so that a restored object comes back without anything being re-linked.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select

from db.models import (
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    PosePreset,
    ShotType,
    Subject,
)
from graph.loaders import SessionLoader, any_key, group_by
from graph.media.keys import join_media_keys

TargetT = TypeVar("TargetT")


class LinkedRowsLoader(SessionLoader[uuid.UUID, list[TargetT]], Generic[TargetT]):
    """Rows of `target` linked to each key through the association table `link`, by `link.position`."""

    link: ClassVar[Any]
    key_column: ClassVar[str]
    target: ClassVar[Any]
    target_column: ClassVar[str]
    # label -> the target's media id column: the storage key comes along (graph/media/keys.py).
    media_keys: ClassVar[dict[str, str]] = {}

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[TargetT]]:
        key = getattr(self.link, self.key_column)
        statement = join_media_keys(
            select(key.label("link_key"), *self.target.__table__.columns)
            .select_from(self.link)
            .join(self.target, self.target.id == getattr(self.link, self.target_column)),
            {label: getattr(self.target, column) for label, column in self.media_keys.items()},
        )
        statement = statement.where(any_key(key, keys)).order_by(key, self.link.position)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        grouped: dict[uuid.UUID, list[TargetT]] = defaultdict(list)
        for row in rows:
            grouped[row.link_key].append(row)
        return [grouped.get(k, []) for k in keys]


class ShotTypesByGuidelineIdLoader(LinkedRowsLoader[ShotType]):
    link = GuidelineShotType
    key_column = "guideline_id"
    target = ShotType
    target_column = "shot_type_id"


class SubjectsByGuidelineIdLoader(LinkedRowsLoader[Subject]):
    link = GuidelineSubject
    key_column = "guideline_id"
    target = Subject
    target_column = "subject_id"
    media_keys = {"cover_key": "cover_image_media_id", "portrait_key": "portrait_image_media_id"}


class PosePresetsByGuidelineIdLoader(LinkedRowsLoader[PosePreset]):
    link = GuidelinePosePreset
    key_column = "guideline_id"
    target = PosePreset
    target_column = "pose_preset_id"
    media_keys = {"pose_image_key": "pose_image_media_id"}


class ShotTypesByShotTypeRuleIdLoader(LinkedRowsLoader[ShotType]):
    link = GuidelineShotTypeRuleShotType
    key_column = "rule_id"
    target = ShotType
    target_column = "shot_type_id"


class ShotTypeRulesByGuidelineIdLoader(SessionLoader[uuid.UUID, list[GuidelineShotTypeRule]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[GuidelineShotTypeRule]]:
        rows = await self.fetch_all(
            select(GuidelineShotTypeRule)
            .where(any_key(GuidelineShotTypeRule.guideline_id, keys))
            .order_by(GuidelineShotTypeRule.position, GuidelineShotTypeRule.id)
        )
        return group_by(rows, "guideline_id", keys)
