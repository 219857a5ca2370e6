from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models.enums import GuidelinesShotTypeRuleKind
from graph.common.inputs import OwnedCreate, OwnedUpdate, camel
from graph.validation import InputErrors
from services.guidelines import GuidelineLinks, RuleGroup

COLUMNS = (
    "name",
    "auto_start_look_generations",
    "allow_back_shots_without_back_image",
    "resolution_preset_id",
    "background_preset_id",
    "set_design_id",
    "stylist_id",
    "export_configuration_id",
    "generative_workflow_template_id",
)
NOT_NULL = ("name", "auto_start_look_generations", "allow_back_shots_without_back_image")
LISTS = ("shot_type_ids", "subject_ids", "pose_preset_ids", "shot_type_rules")
# Not in the spec: every id becomes a bound parameter of one lookup, and PostgreSQL takes at most 32767 of them,
# so one request may not name an unbounded number (500 ids per list, 50 rule groups: at most 25,500 shot types).
MAX_IDS = 500
MAX_RULE_GROUPS = 50


@strawberry.input(description="One (ruleKind, ruleValue) group and the shot types it selects, in order.")
class GuidelinesShotTypeRuleGroupInput:
    rule_kind: GuidelinesShotTypeRuleKind = strawberry.field(description="What the group matches on.")
    rule_value: str = strawberry.field(description="Not blank, at most 255 characters.")
    shot_type_ids: list[uuid.UUID] = strawberry.field(
        default_factory=list, description="Shot types you can see, each once."
    )

    def check(self, errors: InputErrors, path: str) -> None:
        errors.not_blank(f"{path}.ruleValue", self.rule_value)
        errors.max_length(f"{path}.ruleValue", self.rule_value, 255)
        _check_ids(errors, f"{path}.shotTypeIds", self.shot_type_ids)

    def group(self) -> RuleGroup:
        return RuleGroup(rule_kind=self.rule_kind, rule_value=self.rule_value, shot_type_ids=list(self.shot_type_ids))


def _check_ids(errors: InputErrors, path: str, ids: list[uuid.UUID]) -> None:
    """At most MAX_IDS, each once: a repeated id is refused (naming the repeat) rather than silently dropped."""
    if len(ids) > MAX_IDS:
        errors.add(path, f"must contain at most {MAX_IDS} items")
        return
    first_at: dict[uuid.UUID, int] = {}
    for index, object_id in enumerate(ids):
        if object_id in first_at:
            errors.add(f"{path}.{index}", f"repeats item {first_at[object_id]}")
        else:
            first_at[object_id] = index


def _check_rules(errors: InputErrors, groups: list[GuidelinesShotTypeRuleGroupInput]) -> None:
    if len(groups) > MAX_RULE_GROUPS:
        errors.add("input.shotTypeRules", f"must contain at most {MAX_RULE_GROUPS} items")
        return
    first_at: dict[tuple[GuidelinesShotTypeRuleKind, str], int] = {}
    for index, group in enumerate(groups):
        path = f"input.shotTypeRules.{index}"
        group.check(errors, path)
        pair = (group.rule_kind, group.rule_value)
        if pair in first_at:
            errors.add(path, f"repeats the ruleKind and ruleValue of item {first_at[pair]}")
        else:
            first_at[pair] = index


def _check_lists(errors: InputErrors, source: object, *, null_allowed: tuple[str, ...] = ()) -> None:
    """Lists that are given are checked; null is refused except where `null_allowed` says otherwise."""
    for name in LISTS:
        value = getattr(source, name)
        if value is None and name not in null_allowed:
            errors.add(f"input.{camel(name)}", "must not be null (give [] to empty it)")
        elif isinstance(value, list) and name == "shot_type_rules":
            _check_rules(errors, value)
        elif isinstance(value, list):
            _check_ids(errors, f"input.{camel(name)}", value)


def _check_columns(errors: InputErrors, values: dict[str, Any]) -> None:
    errors.not_blank("input.name", values.get("name"))
    errors.max_length("input.name", values.get("name"), 255)


def _links(source: object) -> GuidelineLinks:
    """The given lists (None for an omitted one)."""

    def given_list(name: str) -> list[Any] | None:
        value = getattr(source, name)
        return list(value) if isinstance(value, list) else None

    rules: list[GuidelinesShotTypeRuleGroupInput] | None = given_list("shot_type_rules")
    return GuidelineLinks(
        shot_type_ids=given_list("shot_type_ids"),
        subject_ids=given_list("subject_ids"),
        pose_preset_ids=given_list("pose_preset_ids"),
        shot_type_rules=[group.group() for group in rules] if rules is not None else None,
    )


@strawberry.input(description="Shooting guidelines: what to shoot, with whom and how.")
class ShootingGuidelinesCreate(OwnedCreate):
    column_names = COLUMNS
    name: str = strawberry.field(description="Not blank, at most 255 characters.")
    auto_start_look_generations: bool = strawberry.field(
        default=True, description="Start look generations by themselves for shoots under these guidelines."
    )
    allow_back_shots_without_back_image: bool = strawberry.field(
        default=False, description="Allow back shots of a subject that has no back base image."
    )
    resolution_preset_id: uuid.UUID | None = strawberry.field(
        default=None, description="A resolution preset you can see."
    )
    background_preset_id: uuid.UUID | None = strawberry.field(
        default=None, description="A background preset you can see."
    )
    set_design_id: uuid.UUID | None = strawberry.field(default=None, description="A set design you can see.")
    stylist_id: uuid.UUID | None = strawberry.field(default=None, description="Another service's id, kept as given.")
    export_configuration_id: uuid.UUID | None = strawberry.field(
        default=None, description="Another service's id, kept as given."
    )
    generative_workflow_template_id: uuid.UUID | None = strawberry.field(
        default=None, description="Another service's id, kept as given."
    )
    shot_type_ids: list[uuid.UUID] = strawberry.field(
        default_factory=list, description="Shot types you can see, each once, in the order to show them."
    )
    subject_ids: list[uuid.UUID] = strawberry.field(
        default_factory=list, description="Subjects you can see, each once, in the order to show them."
    )
    pose_preset_ids: list[uuid.UUID] = strawberry.field(
        default_factory=list, description="Pose presets you can see, each once, in the order to show them."
    )
    shot_type_rules: list[GuidelinesShotTypeRuleGroupInput] | None = strawberry.field(
        default=None, description="Rule groups, each (ruleKind, ruleValue) once; omit or null for none."
    )

    def parts(self) -> GuidelineLinks:
        return _links(self)

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_columns(errors, values)
        # The spec documents a null shotTypeRules on create as "no rules".
        _check_lists(errors, self, null_allowed=("shot_type_rules",))


@strawberry.input(
    description=(
        "Omitted fields stay as they are; null clears a nullable field. A list, when given, replaces the stored "
        "one whole ([] empties it; null is refused)."
    )
)
class ShootingGuidelinesUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = NOT_NULL
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Not blank, at most 255 characters (null is refused)."
    )
    auto_start_look_generations: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Start look generations by themselves for shoots under these guidelines (null is refused).",
    )
    allow_back_shots_without_back_image: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Allow back shots of a subject that has no back base image (null is refused).",
    )
    resolution_preset_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="A resolution preset you can see; null removes the link."
    )
    background_preset_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="A background preset you can see; null removes the link."
    )
    set_design_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="A set design you can see; null removes the link."
    )
    stylist_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Another service's id, kept as given; null clears it."
    )
    export_configuration_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Another service's id, kept as given; null clears it."
    )
    generative_workflow_template_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Another service's id, kept as given; null clears the override."
    )
    shot_type_ids: list[uuid.UUID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the shot types: ones you can see, each once, in the order to show them.",
    )
    subject_ids: list[uuid.UUID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the subjects: ones you can see, each once, in the order to show them.",
    )
    pose_preset_ids: list[uuid.UUID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the pose presets: ones you can see, each once, in the order to show them.",
    )
    shot_type_rules: list[GuidelinesShotTypeRuleGroupInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces every rule group; [] removes them all."
    )

    def parts(self) -> GuidelineLinks:
        return _links(self)

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_columns(errors, values)
        _check_lists(errors, self)
