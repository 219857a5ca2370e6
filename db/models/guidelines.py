"""Shooting guidelines: a named bundle of shot types, subjects, poses, presets, a set design and rules."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, SoftDeleteMixin, TimestampMixin, str_enum
from db.models.enums import GuidelinesShotTypeRuleKind
from db.models.ownership import OwnedMixin


class ShootingGuidelines(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "shooting_guidelines"

    name: Mapped[str] = mapped_column(String(255))
    allow_back_shots_without_back_image: Mapped[bool] = mapped_column(default=False, server_default="false")
    auto_start_look_generations: Mapped[bool] = mapped_column(default=False, server_default="false")
    background_preset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("background_presets.id", ondelete="SET NULL"), index=True
    )
    resolution_preset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resolution_presets.id", ondelete="SET NULL"), index=True
    )
    set_design_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("set_designs.id", ondelete="SET NULL"), index=True
    )
    # These name objects of other services (exports, workflow templates, stylists): kept as plain ids.
    export_configuration_id: Mapped[uuid.UUID | None]
    generative_workflow_template_id: Mapped[uuid.UUID | None]
    stylist_id: Mapped[uuid.UUID | None]


class GuidelineShotType(Base):
    __tablename__ = "guideline_shot_types"

    guideline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shooting_guidelines.id", ondelete="CASCADE"), primary_key=True
    )
    shot_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shot_types.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class GuidelineSubject(Base):
    __tablename__ = "guideline_subjects"

    guideline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shooting_guidelines.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class GuidelinePosePreset(Base):
    __tablename__ = "guideline_pose_presets"

    guideline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shooting_guidelines.id", ondelete="CASCADE"), primary_key=True
    )
    pose_preset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pose_presets.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class GuidelineShotTypeRule(IdMixin, TimestampMixin, Base):
    """One (rule_kind, rule_value) group of a guideline; its shot types are in GuidelineShotTypeRuleShotType."""

    __tablename__ = "guideline_shot_type_rules"
    __table_args__ = (UniqueConstraint("guideline_id", "rule_kind", "rule_value"),)

    guideline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shooting_guidelines.id", ondelete="CASCADE"), index=True
    )
    rule_kind: Mapped[GuidelinesShotTypeRuleKind] = mapped_column(
        str_enum(GuidelinesShotTypeRuleKind, "guidelines_shot_type_rule_kind")
    )
    rule_value: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)


class GuidelineShotTypeRuleShotType(Base):
    __tablename__ = "guideline_shot_type_rule_shot_types"

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("guideline_shot_type_rules.id", ondelete="CASCADE"), primary_key=True
    )
    shot_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shot_types.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
