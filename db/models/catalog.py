"""The studio catalog: shot types, background/resolution/pose presets and set designs."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, SoftDeleteMixin, TimestampMixin, str_enum
from db.models.enums import BackgroundFixStrategy, DefaultShotTypes, ShotTypeFraming, ViewAngle
from db.models.ownership import OwnedMixin

_NIL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid"


class ShotType(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "shot_types"
    __table_args__ = (
        # A name is unique within its scope (organization, else owner, else the system's defaults) among live
        # rows: ZIP uploads and shotTypeByName resolve shot types by name.
        Index(
            "uq_shot_types_scope_name",
            func.coalesce(text("organization_id"), text("owner_id"), text(_NIL_UUID)),
            func.lower(text("name")),
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    # Null owner: a system default visible to everyone (seeded by the migration).
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    view_angle: Mapped[ViewAngle] = mapped_column(str_enum(ViewAngle, "view_angle"), index=True)
    framing: Mapped[ShotTypeFraming] = mapped_column(str_enum(ShotTypeFraming, "shot_type_framing"), index=True)
    shot_type_ref_image_url: Mapped[str | None] = mapped_column(Text)
    shot_type_prompt_instruction: Mapped[str | None] = mapped_column(Text)
    file_naming_convention: Mapped[str | None] = mapped_column(String(255))
    reference_image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )
    prompt: Mapped[str | None] = mapped_column(Text)
    prompt_builder_section: Mapped[str | None] = mapped_column(Text)
    core_focus: Mapped[bool] = mapped_column(default=False, server_default="false")
    default_shot_type: Mapped[DefaultShotTypes | None] = mapped_column(str_enum(DefaultShotTypes, "default_shot_types"))
    margins: Mapped[str | None] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(default=True, server_default="true", index=True)


class BackgroundPreset(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "background_presets"

    name: Mapped[str] = mapped_column(String(255))
    strategy: Mapped[BackgroundFixStrategy | None] = mapped_column(
        str_enum(BackgroundFixStrategy, "background_fix_strategy"), default=BackgroundFixStrategy.DEFAULT
    )


class BackgroundPresetFraming(IdMixin, TimestampMixin, Base):
    __tablename__ = "background_preset_framings"

    preset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("background_presets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    framing: Mapped[ShotTypeFraming | None] = mapped_column(str_enum(ShotTypeFraming, "shot_type_framing"))
    image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class ResolutionPreset(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "resolution_presets"
    __table_args__ = (
        CheckConstraint("width > 0", name="width_positive"),
        CheckConstraint("height > 0", name="height_positive"),
    )

    name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int]
    height: Mapped[int]


class PosePreset(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "pose_presets"

    name: Mapped[str] = mapped_column(String(255))
    prompt: Mapped[str | None] = mapped_column(Text)
    shot_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shot_types.id", ondelete="RESTRICT"), index=True)
    pose_image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class SetDesign(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "set_designs"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    background_preset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("background_presets.id", ondelete="SET NULL"), index=True
    )


class SetBaseImage(IdMixin, TimestampMixin, Base):
    __tablename__ = "set_base_images"

    set_design_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("set_designs.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    shot_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shot_types.id", ondelete="CASCADE"), index=True)
    variant_index: Mapped[int] = mapped_column(default=0)
    image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class SetReferenceImage(IdMixin, TimestampMixin, Base):
    __tablename__ = "set_reference_images"

    set_design_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("set_designs.id", ondelete="CASCADE"), index=True)
    shot_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shot_types.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)
    image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class SetSubjectPortrait(IdMixin, TimestampMixin, Base):
    __tablename__ = "set_subject_portraits"

    set_design_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("set_designs.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )
