"""Visual styles (with optional LoRA weights)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, SoftDeleteMixin, TimestampMixin, str_enum
from db.list_indexes import list_order_indexes
from db.models.enums import LoraStatus, StyleCategory
from db.models.ownership import OwnedMixin


class Style(IdMixin, TimestampMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "styles"
    __table_args__ = (
        UniqueConstraint("slug"),
        Index("ix_styles_name_lower", text("lower(name)")),
        Index("ix_styles_tags", "tags", postgresql_using="gin"),
        *list_order_indexes("styles", "name", "created_at", "updated_at"),
    )

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(1000))
    brand: Mapped[str | None] = mapped_column(String(1000))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(128)), default=list, server_default="{}")
    prompt_keywords: Mapped[str | None] = mapped_column(String(1000))
    style_category: Mapped[StyleCategory] = mapped_column(str_enum(StyleCategory, "style_category"), index=True)
    public: Mapped[bool] = mapped_column(default=False, server_default="false", index=True)
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true", index=True)
    archived: Mapped[bool] = mapped_column(default=False, server_default="false", index=True)
    demo: Mapped[bool] = mapped_column(default=False, server_default="false", index=True)
    default_lora_weight: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    lora_trigger: Mapped[str | None] = mapped_column(String(255))
    lora_status: Mapped[LoraStatus] = mapped_column(str_enum(LoraStatus, "lora_status"), default=LoraStatus.NONE)
    local_model_path: Mapped[str | None] = mapped_column(String(1024))
    current_training_id: Mapped[uuid.UUID | None]
    training_progress: Mapped[float] = mapped_column(default=0.0, server_default="0")
    training_error: Mapped[str | None] = mapped_column(Text)
    # The LoRA pipeline's state (services/lora.py): what the stored file holds, and the storage key of the upload
    # a worker has yet to process. A failed upload's reason is `training_error`.
    lora_info: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    lora_upload_key: Mapped[str | None] = mapped_column(String(512))
    cover_image_media_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_resources.id", ondelete="SET NULL"), index=True
    )


class StyleDataImage(IdMixin, TimestampMixin, Base):
    __tablename__ = "style_data_images"

    style_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("styles.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_resources.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
