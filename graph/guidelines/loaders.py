"""What guidelines link to, batched by guidelines id (or rule id), each list in its stored (input) order.

The loaders answer every linked row, soft-deleted or not: the fields filter them with `can_read` for the caller,
so that a restored object comes back without anything being re-linked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from sqlalchemy import select

from db.models import (
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    PosePreset,
    Subject,
)
from db.models.enums import (
    BodyType,
    Gender,
    GuidelinesShotTypeRuleKind,
    LoraStatus,
    SubjectAgeClass,
    SubjectType,
)
from graph.loaders import AnySelect, GroupedRowsLoader, StatementLoader, columns, group_by, in_batch
from graph.media.keys import join_media_keys
from graph.subjects.loaders import ADMIN_ONLY_COLUMNS

LinkedT = TypeVar("LinkedT")


class Link(NamedTuple):
    link_key: uuid.UUID
    target_id: uuid.UUID


class LinkedSubject(NamedTuple):
    """graph.subjects.loaders.LoadedSubject's fields, after the guidelines id (`link_key`) it is linked to."""

    link_key: uuid.UUID
    name: str
    surname: str | None
    slug: str
    description: str | None
    age_class: SubjectAgeClass
    gender: Gender
    subject_type: SubjectType
    body_type: BodyType | None
    positive_prompt: str | None
    negative_prompt: str | None
    ethnicity: str | None
    public: bool
    enabled: bool
    ready: bool
    lora_status: LoraStatus
    lora_trigger: str | None
    lora_error: str | None
    cover_image_media_id: uuid.UUID | None
    portrait_image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    cover_key: str | None
    portrait_key: str | None


class LinkedPosePreset(NamedTuple):
    link_key: uuid.UUID
    name: str
    prompt: str | None
    shot_type_id: uuid.UUID
    pose_image_media_id: uuid.UUID | None
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    pose_image_key: str | None


class LoadedShotTypeRule(NamedTuple):
    guideline_id: uuid.UUID
    id: uuid.UUID
    rule_kind: GuidelinesShotTypeRuleKind
    rule_value: str


class LinkedRowsLoader(GroupedRowsLoader[LinkedT]):
    """Rows of `target` linked to each key through the association table `link`, by `link.position`: the key as
    `link_key`, then the target's columns (less `left_out`), then its `media_keys`."""

    link: ClassVar[Any]
    key_column: ClassVar[str]
    target: ClassVar[Any]
    target_column: ClassVar[str]
    # label -> the target's media id column: the storage key comes along (graph/media/keys.py).
    media_keys: ClassVar[dict[str, str]] = {}
    # The target's columns its GraphQL type does not have.
    left_out: ClassVar[tuple[str, ...]] = ()
    group_key = "link_key"

    @classmethod
    def statement(cls) -> AnySelect:
        key = getattr(cls.link, cls.key_column)
        return (
            join_media_keys(
                select(key.label("link_key"), *(c for c in columns(cls.target) if c.key not in cls.left_out))
                .select_from(cls.link)
                .join(cls.target, cls.target.id == getattr(cls.link, cls.target_column)),
                {label: getattr(cls.target, column) for label, column in cls.media_keys.items()},
            )
            .where(in_batch(key))
            .order_by(key, cls.link.position)
        )


class LinkedIdsLoader(StatementLoader[uuid.UUID, list[uuid.UUID], Link]):
    """Ids of the rows linked to each key through `link`, by `link.position`. For targets that many parents
    share, the rows themselves then come from the target's by-id loader, once per request: a guidelines page of 50
    links its shot types ~550 times, to ~50 distinct rows."""

    row_type = Link
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


class SubjectsByGuidelineIdLoader(LinkedRowsLoader[LinkedSubject]):
    row_type = LinkedSubject
    link = GuidelineSubject
    key_column = "guideline_id"
    target = Subject
    target_column = "subject_id"
    left_out = ADMIN_ONLY_COLUMNS
    media_keys = {"cover_key": "cover_image_media_id", "portrait_key": "portrait_image_media_id"}


class PosePresetsByGuidelineIdLoader(LinkedRowsLoader[LinkedPosePreset]):
    row_type = LinkedPosePreset
    link = GuidelinePosePreset
    key_column = "guideline_id"
    target = PosePreset
    target_column = "pose_preset_id"
    media_keys = {"pose_image_key": "pose_image_media_id"}


class ShotTypeIdsByShotTypeRuleIdLoader(LinkedIdsLoader):
    link = GuidelineShotTypeRuleShotType
    key_column = "rule_id"
    target_column = "shot_type_id"


class ShotTypeRulesByGuidelineIdLoader(GroupedRowsLoader[LoadedShotTypeRule]):
    row_type = LoadedShotTypeRule
    group_key = "guideline_id"

    @classmethod
    def statement(cls) -> AnySelect:
        rule = GuidelineShotTypeRule
        # What a rule group shows, and no more: its timestamps are never shown, and cost a datetime each to decode.
        return (
            select(rule.guideline_id, rule.id, rule.rule_kind, rule.rule_value)
            .where(in_batch(rule.guideline_id))
            .order_by(rule.position, rule.id)
        )
