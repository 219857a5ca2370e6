"""Guidelines as the API shows them. Linked objects appear only while the caller may read them: a soft-deleted
one, or one private to someone else (a member's personal subject linked into an organization's guidelines),
is left out of the lists (null for a single link) and comes back when restored or shared; the stored links
and id fields are never changed by that."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import strawberry

from db.models import ShootingGuidelines as ShootingGuidelinesRow
from db.models.enums import GuidelinesShotTypeRuleKind
from graph.background_presets.loaders import BackgroundPresetByIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.context import Info
from graph.guidelines.loaders import (
    LinkedIdsLoader,
    LoadedShotTypeRule,
    PosePresetsByGuidelineIdLoader,
    ShotTypeIdsByGuidelineIdLoader,
    ShotTypeRulesByGuidelineIdLoader,
    SubjectsByGuidelineIdLoader,
)
from graph.pose_presets.types import PosePreset
from graph.relations import Identified, relation, rows_by_parent, visible_one, visible_rows_by_parent
from graph.resolution_presets.loaders import ResolutionPresetByIdLoader
from graph.resolution_presets.types import ResolutionPreset
from graph.set_designs.loaders import SetDesignByIdLoader
from graph.set_designs.types import SetDesign
from graph.shot_types.types import ShotType, shot_type_lists
from graph.subjects.types import Subject, present_loaded_subject


def _linked_shot_types(
    ids_loader: type[LinkedIdsLoader],
) -> Callable[[Sequence[Identified], Info], Awaitable[list[list[ShotType]]]]:
    """The level form of a list of shot types linked by id (`ids_loader`): those the caller can see, in order."""

    async def level(parents: Sequence[Identified], info: Info) -> list[list[ShotType]]:
        id_lists = await info.context.loaders.get(ids_loader).load_many([parent.id for parent in parents])
        return await shot_type_lists(info, id_lists)

    return level


async def _rule_shot_types(groups: Sequence[GuidelinesShotTypeRuleGroup], info: Info) -> list[list[ShotType]]:
    """The level form of a rule group's shot types: the ids came with the group (its loader reads them)."""
    return await shot_type_lists(info, [group.shot_type_ids or () for group in groups])


@strawberry.type(description="One (ruleKind, ruleValue) group and the shot types it selects, in order.")
class GuidelinesShotTypeRuleGroup(Presented[LoadedShotTypeRule]):
    rule_kind: GuidelinesShotTypeRuleKind = strawberry.field(description="What the group matches on.")
    rule_value: str = strawberry.field(
        description="The value it matches (free text, unique per ruleKind within the guidelines)."
    )
    id: strawberry.Private[uuid.UUID]
    shot_type_ids: strawberry.Private[list[uuid.UUID] | None]
    shot_types: list[ShotType] = relation(
        _rule_shot_types, description="The group's shot types you can see, in the order given."
    )


@strawberry.type(
    description="Shooting guidelines: shot types, subjects, pose presets, presets, a set design and shot-type rules."
)
class ShootingGuidelines(Presented[ShootingGuidelinesRow]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    name: str = strawberry.field(description="The guidelines' name (not blank, at most 255 characters).")
    auto_start_look_generations: bool = strawberry.field(
        description="Whether look generations start by themselves for shoots under these guidelines."
    )
    allow_back_shots_without_back_image: bool = strawberry.field(
        description="Whether back shots may be made for a subject that has no back base image."
    )
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    resolution_preset_id: uuid.UUID | None = strawberry.field(
        description="The linked resolution preset's id, as stored (see resolutionPreset); null: none."
    )
    background_preset_id: uuid.UUID | None = strawberry.field(
        description="The linked background preset's id, as stored (see backgroundPreset); null: none."
    )
    set_design_id: uuid.UUID | None = strawberry.field(
        description="The linked set design's id, as stored (see setDesign); null: none."
    )
    stylist_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    export_configuration_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    generative_workflow_template_id: uuid.UUID | None = strawberry.field(description="Another service's id, as given.")
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
    shot_types: list[ShotType] = relation(
        _linked_shot_types(ShotTypeIdsByGuidelineIdLoader),
        description="The linked shot types you can see, in the order given.",
    )
    subjects: list[Subject] = relation(
        visible_rows_by_parent(SubjectsByGuidelineIdLoader, present_loaded_subject),
        description="The linked subjects you can see, in the order given.",
    )
    pose_presets: list[PosePreset] = relation(
        visible_rows_by_parent(PosePresetsByGuidelineIdLoader, PosePreset.of),
        description="The linked pose presets you can see, in the order given.",
    )
    set_design: SetDesign | None = relation(
        visible_one(SetDesignByIdLoader, "set_design_id", SetDesign.of),
        description="The set design; null when there is none or you may not see it.",
    )
    background_preset: BackgroundPreset | None = relation(
        visible_one(BackgroundPresetByIdLoader, "background_preset_id", BackgroundPreset.of),
        description="The background preset; null when there is none or you may not see it.",
    )
    resolution_preset: ResolutionPreset | None = relation(
        visible_one(ResolutionPresetByIdLoader, "resolution_preset_id", ResolutionPreset.of),
        description="The resolution preset; null when there is none or you may not see it.",
    )
    shot_type_rules: list[GuidelinesShotTypeRuleGroup] = relation(
        rows_by_parent(ShotTypeRulesByGuidelineIdLoader, GuidelinesShotTypeRuleGroup.of),
        description="The shot-type rule groups, in the order given.",
    )
