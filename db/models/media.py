"""Stored files: one row per ingested image (the bytes themselves are content-addressed on disk)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, TimestampMixin, str_enum
from db.models.enums import MediaResourceType


class MediaResource(IdMixin, TimestampMixin, Base):
    __tablename__ = "media_resources"

    # Who ingested it: decides who may reference it by id. Null for files the system made itself.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    storage_key: Mapped[str] = mapped_column(String(512), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int]
    extension: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[MediaResourceType] = mapped_column(
        str_enum(MediaResourceType, "media_resource_type"), default=MediaResourceType.IMAGE
    )
    width: Mapped[int | None]
    height: Mapped[int | None]
    aspect_ratio: Mapped[float | None]
    orientation: Mapped[str | None] = mapped_column(String(16))
    dominant_color: Mapped[str | None] = mapped_column(String(16))
    color_profile: Mapped[str | None] = mapped_column(String(255))
    duration: Mapped[float | None]
    alt_text: Mapped[str | None] = mapped_column(String(1000))
    caption: Mapped[str | None] = mapped_column(String(1000))
    protected: Mapped[bool] = mapped_column(default=False, server_default="false")
