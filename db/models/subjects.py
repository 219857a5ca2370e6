"""Subjects (AI models) with their measurements and images."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, SoftDeleteMixin, TimestampMixin, str_enum
from db.list_indexes import list_order_indexes
from db.models.enums import BodyType, EyeColor, Gender, HairColor, LoraStatus, SubjectAgeClass, SubjectType
from db.models.ownership import OwnedMixin


class Subject(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "subjects"
    __table_args__ = (
        # Slugs are unique among all subjects, deleted ones included, so a restore never collides.
        UniqueConstraint("slug"),
        Index("ix_subjects_name_lower", text("lower(name)")),
        *list_order_indexes("subjects", "name", "surname", "created_at", "updated_at"),
    )

    name: Mapped[str] = mapped_column(String(255))
    surname: Mapped[str | None] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    age_class: Mapped[SubjectAgeClass] = mapped_column(str_enum(SubjectAgeClass, "subject_age_class"), index=True)
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, "gender"), default=Gender.FEMALE)
    subject_type: Mapped[SubjectType] = mapped_column(str_enum(SubjectType, "subject_type"), default=SubjectType.AI)
    body_type: Mapped[BodyType | None] = mapped_column(str_enum(BodyType, "body_type"), index=True)
    positive_prompt: Mapped[str | None] = mapped_column(Text)
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(default=False, server_default="false", index=True)
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true", index=True)
    ready: Mapped[bool] = mapped_column(default=False, server_default="false")
    lora_status: Mapped[LoraStatus] = mapped_column(str_enum(LoraStatus, "lora_status"), default=LoraStatus.NONE)
    lora_trigger: Mapped[str | None] = mapped_column(String(255))
    local_model_path: Mapped[str | None] = mapped_column(String(1024))
    # The LoRA pipeline's state (services/lora.py): why the last upload failed, what the stored file holds, and
    # the storage key of the upload a worker has yet to process (the job acts only while it is this one).
    lora_error: Mapped[str | None] = mapped_column(Text)
    lora_info: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    lora_upload_key: Mapped[str | None] = mapped_column(String(512))
    cover_image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )
    portrait_image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class SubjectMeasurements(IdMixin, TimestampMixin, Base):
    __tablename__ = "subject_measurements"

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), unique=True, index=True
    )
    bust_cm: Mapped[float | None]
    waist_cm: Mapped[float | None]
    hips_cm: Mapped[float | None]
    height_cm: Mapped[float | None]
    shoe_eu: Mapped[float | None]
    eye_color: Mapped[EyeColor | None] = mapped_column(str_enum(EyeColor, "eye_color"))
    hair_color: Mapped[HairColor | None] = mapped_column(str_enum(HairColor, "hair_color"))


class SubjectBaseImage(IdMixin, TimestampMixin, Base):
    """A subject's reference photo for one shot type: at most one per (subject, shot type)."""

    __tablename__ = "subject_base_images"
    __table_args__ = (UniqueConstraint("subject_id", "shot_type_id"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    shot_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shot_types.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_resources.id", ondelete="RESTRICT"), index=True)


class SubjectDataImage(IdMixin, TimestampMixin, Base):
    """Training images of a subject, in the order given."""

    __tablename__ = "subject_data_images"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_resources.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class SubjectPortfolioImage(IdMixin, TimestampMixin, Base):
    __tablename__ = "subject_portfolio_images"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_resources.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
