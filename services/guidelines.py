"""Shooting guidelines: a named bundle of shot types, subjects, pose presets, presets, a set design and shot-type
rules. The linked lists are written whole: given on an update, a list replaces the stored one ([] empties it),
in the order given. Every referenced object must be one the caller can see when it is linked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    BackgroundPreset,
    GuidelinePosePreset,
    GuidelineShotType,
    GuidelineShotTypeRule,
    GuidelineShotTypeRuleShotType,
    GuidelineSubject,
    PosePreset,
    ResolutionPreset,
    SetDesign,
    ShootingGuidelines,
    ShotType,
    Subject,
)
from db.models.enums import GuidelinesShotTypeRuleKind
from services.caller import Caller
from services.crud import ensure_visible
from services.owned import OwnedWrites, Parts
from services.resources import Resources

WHAT = "Guidelines"

# The guideline's own columns that name another object of ours: input path -> (model, what it is).
_REFERENCE_COLUMNS: dict[str, tuple[str, Any, str]] = {
    "background_preset_id": ("input.backgroundPresetId", BackgroundPreset, "background preset"),
    "resolution_preset_id": ("input.resolutionPresetId", ResolutionPreset, "resolution preset"),
    "set_design_id": ("input.setDesignId", SetDesign, "set design"),
}


@dataclass(frozen=True)
class RuleGroup:
    """One (rule kind, rule value) group and its shot types, in order."""

    rule_kind: GuidelinesShotTypeRuleKind
    rule_value: str
    shot_type_ids: list[uuid.UUID]


@dataclass(frozen=True)
class GuidelineLinks:
    """The linked lists of a create or update; None leaves that list as it is."""

    shot_type_ids: list[uuid.UUID] | None = None
    subject_ids: list[uuid.UUID] | None = None
    pose_preset_ids: list[uuid.UUID] | None = None
    shot_type_rules: list[RuleGroup] | None = None

    def any_given(self) -> bool:
        return any(
            part is not None
            for part in (self.shot_type_ids, self.subject_ids, self.pose_preset_ids, self.shot_type_rules)
        )


async def _ensure_references_visible(
    session: AsyncSession, caller: Caller, columns: dict[str, Any], links: GuidelineLinks
) -> None:
    """Every referenced object must be live and visible to the caller. All problems are answered at once, and
    a hidden id reads exactly like a missing one."""
    by_model: dict[Any, tuple[str, dict[str, uuid.UUID]]] = {}

    def refer(model: Any, what: str, path: str, object_id: uuid.UUID) -> None:
        by_model.setdefault(model, (what, {}))[1][path] = object_id

    for column, (path, model, what) in _REFERENCE_COLUMNS.items():
        if columns.get(column) is not None:
            refer(model, what, path, columns[column])
    for field, model, what, ids in (
        ("shotTypeIds", ShotType, "shot type", links.shot_type_ids),
        ("subjectIds", Subject, "subject", links.subject_ids),
        ("posePresetIds", PosePreset, "pose preset", links.pose_preset_ids),
    ):
        for index, object_id in enumerate(ids or ()):
            refer(model, what, f"input.{field}.{index}", object_id)
    for group_index, group in enumerate(links.shot_type_rules or ()):
        for index, object_id in enumerate(group.shot_type_ids):
            refer(ShotType, "shot type", f"input.shotTypeRules.{group_index}.shotTypeIds.{index}", object_id)
    await ensure_visible(session, caller, [(model, what, named) for model, (what, named) in by_model.items()])


async def _write_links(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    guidelines: ShootingGuidelines,
    links: GuidelineLinks,
    replace: bool,
) -> None:
    """Write each given list whole, keeping the input order in the position columns."""
    if replace and links.any_given():
        # Only link rows change, so the guidelines' own onupdate would not fire.
        guidelines.updated_at = utcnow()
    await session.flush()
    guidelines_id = guidelines.id
    for link_model, column, ids in (
        (GuidelineShotType, "shot_type_id", links.shot_type_ids),
        (GuidelineSubject, "subject_id", links.subject_ids),
        (GuidelinePosePreset, "pose_preset_id", links.pose_preset_ids),
    ):
        if ids is None:
            continue
        if replace:
            await session.execute(delete(link_model).where(link_model.guideline_id == guidelines_id))
        session.add_all(
            link_model(guideline_id=guidelines_id, position=index, **{column: object_id})
            for index, object_id in enumerate(ids)
        )
    if links.shot_type_rules is not None:
        if replace:
            # The rules' shot-type rows go with them (ON DELETE CASCADE).
            await session.execute(
                delete(GuidelineShotTypeRule).where(GuidelineShotTypeRule.guideline_id == guidelines_id)
            )
        await _add_rules(session, guidelines_id, links.shot_type_rules)
    await session.flush()


async def _add_rules(session: AsyncSession, guidelines_id: uuid.UUID, groups: Sequence[RuleGroup]) -> None:
    rules = [
        GuidelineShotTypeRule(
            id=uuid.uuid4(),
            guideline_id=guidelines_id,
            rule_kind=group.rule_kind,
            rule_value=group.rule_value,
            position=index,
        )
        for index, group in enumerate(groups)
    ]
    session.add_all(rules)
    # The rules must exist before the rows that point at them (no ORM relationship orders the inserts).
    await session.flush()
    session.add_all(
        GuidelineShotTypeRuleShotType(rule_id=rule.id, shot_type_id=shot_type_id, position=index)
        for rule, group in zip(rules, groups, strict=True)
        for index, shot_type_id in enumerate(group.shot_type_ids)
    )


GUIDELINES_WRITES = OwnedWrites(
    ShootingGuidelines, WHAT, parts=Parts(write=_write_links, ensure_visible=_ensure_references_visible)
)
