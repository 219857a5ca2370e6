"""Guidelines as the API shows them. Linked objects appear only while the caller may read them: a soft-deleted
one, or one private to someone else (a member's personal subject linked into an organization's guidelines),
is left out of the lists (null for a single link) and comes back when restored or shared; the stored links
and id fields are never changed by that."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import strawberry

from db.models import GuidelineShotTypeRule as RuleRow
from db.models import ShootingGuidelines as ShootingGuidelinesRow
from db.models.enums import GuidelinesShotTypeRuleKind
from graph.background_presets.loaders import BackgroundPresetByIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.context import Info
from graph.execution.levels import answers_levels
from graph.guidelines.loaders import (
    LinkedIdsLoader,
    LinkedRowsLoader,
    PosePresetsByGuidelineIdLoader,
    ShotTypeIdsByGuidelineIdLoader,
    ShotTypeIdsByShotTypeRuleIdLoader,
    ShotTypeRulesByGuidelineIdLoader,
    SubjectsByGuidelineIdLoader,
)
from graph.pose_presets.types import PosePreset
from graph.presenting import present
from graph.relations import visible_one
from graph.resolution_presets.loaders import ResolutionPresetByIdLoader
from graph.resolution_presets.types import ResolutionPreset
from graph.set_designs.loaders import SetDesignByIdLoader
from graph.set_designs.types import SetDesign
from graph.shot_types.types import ShotType, shot_type_lists
from graph.subjects.types import Subject
from services.visibility import can_read

OutT = TypeVar("OutT")


def _readable(info: Info, rows: Sequence[Any], of: Callable[[Any], OutT]) -> list[OutT]:
    caller = info.context.require_caller()
    return [of(row) for row in rows if can_read(caller, row)]


_SET_DESIGN = visible_one(SetDesignByIdLoader, "set_design_id", SetDesign.of)
_BACKGROUND_PRESET = visible_one(BackgroundPresetByIdLoader, "background_preset_id", BackgroundPreset.of)
_RESOLUTION_PRESET = visible_one(ResolutionPresetByIdLoader, "resolution_preset_id", ResolutionPreset.of)


@strawberry.type(description="One (ruleKind, ruleValue) group and the shot types it selects, in order.")
class GuidelinesShotTypeRuleGroup:
    rule_kind: GuidelinesShotTypeRuleKind
    rule_value: str
    id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The group's shot types you can see, in the order given.")
    @answers_levels(lambda groups, info: _linked_shot_types(info, ShotTypeIdsByShotTypeRuleIdLoader, groups))
    async def shot_types(self, info: Info) -> list[ShotType]:
        return (await _linked_shot_types(info, ShotTypeIdsByShotTypeRuleIdLoader, [self]))[0]

    @classmethod
    def of(cls, row: RuleRow) -> GuidelinesShotTypeRuleGroup:
        return present(cls, row)


@strawberry.type(
    description="Shooting guidelines: shot types, subjects, pose presets, presets, a set design and shot-type rules."
)
class ShootingGuidelines:
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    name: str
    auto_start_look_generations: bool
    allow_back_shots_without_back_image: bool
    owner_id: uuid.UUID
    organization_id: uuid.UUID | None
    resolution_preset_id: uuid.UUID | None
    background_preset_id: uuid.UUID | None
    set_design_id: uuid.UUID | None
    stylist_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    export_configuration_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    generative_workflow_template_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    deleted_at: datetime | None

    @strawberry.field(description="The linked shot types you can see, in the order given.")
    @answers_levels(lambda guidelines, info: _linked_shot_types(info, ShotTypeIdsByGuidelineIdLoader, guidelines))
    async def shot_types(self, info: Info) -> list[ShotType]:
        return (await _linked_shot_types(info, ShotTypeIdsByGuidelineIdLoader, [self]))[0]

    @strawberry.field(description="The linked subjects you can see, in the order given.")
    @answers_levels(lambda guidelines, info: _linked(info, SubjectsByGuidelineIdLoader, guidelines, Subject.of))
    async def subjects(self, info: Info) -> list[Subject]:
        return (await _linked(info, SubjectsByGuidelineIdLoader, [self], Subject.of))[0]

    @strawberry.field(description="The linked pose presets you can see, in the order given.")
    @answers_levels(lambda guidelines, info: _linked(info, PosePresetsByGuidelineIdLoader, guidelines, PosePreset.of))
    async def pose_presets(self, info: Info) -> list[PosePreset]:
        return (await _linked(info, PosePresetsByGuidelineIdLoader, [self], PosePreset.of))[0]

    @strawberry.field(description="The set design; null when there is none or you may not see it.")
    @answers_levels(_SET_DESIGN)
    async def set_design(self, info: Info) -> SetDesign | None:
        return (await _SET_DESIGN([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(description="The background preset; null when there is none or you may not see it.")
    @answers_levels(_BACKGROUND_PRESET)
    async def background_preset(self, info: Info) -> BackgroundPreset | None:
        return (await _BACKGROUND_PRESET([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(description="The resolution preset; null when there is none or you may not see it.")
    @answers_levels(_RESOLUTION_PRESET)
    async def resolution_preset(self, info: Info) -> ResolutionPreset | None:
        return (await _RESOLUTION_PRESET([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(description="The shot-type rule groups, in the order given.")
    @answers_levels(lambda guidelines, info: _rule_groups(info, guidelines))
    async def shot_type_rules(self, info: Info) -> list[GuidelinesShotTypeRuleGroup]:
        return (await _rule_groups(info, [self]))[0]

    @classmethod
    def of(cls, row: ShootingGuidelinesRow) -> ShootingGuidelines:
        return present(cls, row)


@strawberry.type
class ShootingGuidelinesList:
    data: list[ShootingGuidelines]
    count: int = strawberry.field(description="Total matching the filters, not the page size.")


# The relations' whole-level forms (graph/execution/levels.py); each resolver above answers its own object with them.


async def _linked_shot_types(
    info: Info, ids_loader: type[LinkedIdsLoader], parents: Sequence[GuidelinesShotTypeRuleGroup | ShootingGuidelines]
) -> list[list[ShotType]]:
    id_lists = await info.context.loaders.get(ids_loader).load_many([parent.id for parent in parents])
    return await shot_type_lists(info, id_lists)


async def _linked(
    info: Info,
    loader_class: type[LinkedRowsLoader[Any]],
    guidelines: Sequence[ShootingGuidelines],
    of: Callable[[Any], OutT],
) -> list[list[OutT]]:
    row_lists = await info.context.loaders.get(loader_class).load_many([guideline.id for guideline in guidelines])
    return [_readable(info, rows, of) for rows in row_lists]


async def _rule_groups(info: Info, guidelines: Sequence[ShootingGuidelines]) -> list[list[GuidelinesShotTypeRuleGroup]]:
    loader = info.context.loaders.get(ShotTypeRulesByGuidelineIdLoader)
    row_lists = await loader.load_many([guideline.id for guideline in guidelines])
    return [[GuidelinesShotTypeRuleGroup.of(row) for row in rows] for rows in row_lists]
