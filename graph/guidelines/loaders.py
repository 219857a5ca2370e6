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
from graph.loaders import SessionLoader, group_by

TargetT = TypeVar("TargetT")


class LinkedRowsLoader(SessionLoader[uuid.UUID, list[TargetT]], Generic[TargetT]):
    """Rows of `target` linked to each key through the association table `link`, by `link.position`."""

    link: ClassVar[Any]
    key_column: ClassVar[str]
    target: ClassVar[Any]
    target_column: ClassVar[str]

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[TargetT]]:
        key = getattr(self.link, self.key_column)
        statement = (
            select(key, self.target)
            .join(self.target, self.target.id == getattr(self.link, self.target_column))
            .where(key.in_(keys))
            .order_by(key, self.link.position)
        )
        async with self.session_factory() as session:
            pairs = (await session.execute(statement)).all()
        grouped: dict[uuid.UUID, list[TargetT]] = defaultdict(list)
        for owner_key, row in pairs:
            grouped[owner_key].append(row)
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


class PosePresetsByGuidelineIdLoader(LinkedRowsLoader[PosePreset]):
    link = GuidelinePosePreset
    key_column = "guideline_id"
    target = PosePreset
    target_column = "pose_preset_id"


class ShotTypesByShotTypeRuleIdLoader(LinkedRowsLoader[ShotType]):
    link = GuidelineShotTypeRuleShotType
    key_column = "rule_id"
    target = ShotType
    target_column = "shot_type_id"


class ShotTypeRulesByGuidelineIdLoader(SessionLoader[uuid.UUID, list[GuidelineShotTypeRule]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[GuidelineShotTypeRule]]:
        rows = await self.fetch_all(
            select(GuidelineShotTypeRule)
            .where(GuidelineShotTypeRule.guideline_id.in_(keys))
            .order_by(GuidelineShotTypeRule.position, GuidelineShotTypeRule.id)
        )
        return group_by(rows, "guideline_id", keys)
