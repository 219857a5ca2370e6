"""What guidelines link to, batched by guidelines id (or rule id), each list in its stored (input) order.

The loaders answer every linked row, soft-deleted or not: the fields filter them with `can_read` for the caller,
so that a restored object comes back without anything being re-linked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple, TypeVar

from sqlalchemy import func, join, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from db.models import (
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    PosePreset,
    Subject,
)
from db.models.enums import GuidelinesShotTypeRuleKind
from graph.loaders import AnySelect, GroupedRowsLoader, StatementLoader, group_by, group_keyed, in_batch
from graph.pose_presets.loaders import POSE_PRESET_MEDIA_KEYS, LoadedPosePreset
from graph.subjects.loaders import ADMIN_ONLY_COLUMNS, SUBJECT_MEDIA_KEYS, LoadedSubject

LinkedT = TypeVar("LinkedT")


class Link(NamedTuple):
    link_key: uuid.UUID
    target_id: uuid.UUID


class LoadedShotTypeRule(NamedTuple):
    guideline_id: uuid.UUID
    id: uuid.UUID
    rule_kind: GuidelinesShotTypeRuleKind
    rule_value: str
    shot_type_ids: list[uuid.UUID] | None  # in the group's order; None for a group without shot types


class LinkedRowsLoader(StatementLoader[uuid.UUID, list[LinkedT], LinkedT]):
    """Rows of `model` linked to each key through the association table `link`, by `link.position`: the rows
    `row_select` reads, the same row type as the model's own loaders answer, each after the key it is linked to
    (a keyed statement)."""

    link: ClassVar[Any]
    key_column: ClassVar[str]
    target_column: ClassVar[str]
    keyed = True

    @classmethod
    def statement(cls) -> AnySelect:
        key = getattr(cls.link, cls.key_column)
        via = join(cls.link, cls.model, cls.model.id == getattr(cls.link, cls.target_column))
        return cls.row_select(key=key.label("link_key"), via=via).where(in_batch(key)).order_by(key, cls.link.position)

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[LinkedT]]:
        return group_keyed(*await self.keyed_rows(keys), keys)


class LinkedIdsLoader(StatementLoader[uuid.UUID, list[uuid.UUID], Link]):
    """Ids of the rows linked to each key through `link`, by `link.position`. For targets that many parents
    share, the rows themselves then come from the target's by-id loader, once per request: a guidelines page of 50
    links its shot types ~550 times, to ~50 distinct rows."""

    link: ClassVar[Any]
    key_column: ClassVar[str]
    target_column: ClassVar[str]

    @classmethod
    def statement(cls) -> AnySelect:
        key = getattr(cls.link, cls.key_column)
        return (
            select(key.label("link_key"), getattr(cls.link, cls.target_column).label("target_id"))
            .where(in_batch(key))
            .order_by(key, cls.link.position)
        )

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
        return [[row.target_id for row in rows] for rows in group_by(await self.rows(keys), "link_key", keys)]


class ShotTypeIdsByGuidelineIdLoader(LinkedIdsLoader):
    link = GuidelineShotType
    key_column = "guideline_id"
    target_column = "shot_type_id"


class SubjectsByGuidelineIdLoader(LinkedRowsLoader[LoadedSubject]):
    link = GuidelineSubject
    key_column = "guideline_id"
    target_column = "subject_id"
    model = Subject
    left_out = ADMIN_ONLY_COLUMNS
    media_keys = SUBJECT_MEDIA_KEYS


class PosePresetsByGuidelineIdLoader(LinkedRowsLoader[LoadedPosePreset]):
    link = GuidelinePosePreset
    key_column = "guideline_id"
    target_column = "pose_preset_id"
    model = PosePreset
    media_keys = POSE_PRESET_MEDIA_KEYS


class ShotTypeRulesByGuidelineIdLoader(GroupedRowsLoader[LoadedShotTypeRule]):
    group_key = "guideline_id"

    @classmethod
    def statement(cls) -> AnySelect:
        rule = GuidelineShotTypeRule
        link = GuidelineShotTypeRuleShotType
        # Each group's shot type ids come with it, in order: its shot types are then loaded by id beside the
        # guidelines' own (one batch at the next level), rather than after a statement of their own for the
        # links, which took a level and a shot types batch more (two statements of a nested page's 13).
        shot_type_ids = (
            select(func.array_agg(aggregate_order_by(link.shot_type_id, link.position)))
            .where(link.rule_id == rule.id)
            .scalar_subquery()
        )
        # What a rule group shows, and no more: its timestamps are never shown, and cost a datetime each to decode.
        return (
            select(rule.guideline_id, rule.id, rule.rule_kind, rule.rule_value, shot_type_ids.label("shot_type_ids"))
            .where(in_batch(rule.guideline_id))
            .order_by(rule.position, rule.id)
        )
