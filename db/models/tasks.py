"""Background-job state that clients poll or subscribe to: the row is the truth, Redis only announces."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, TimestampMixin, str_enum
from db.models.enums import TaskStatus


class SubjectBaseImagesUploadTask(IdMixin, TimestampMixin, Base):
    __tablename__ = "subject_base_images_upload_tasks"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        # subjectLatestUploadTask reads the newest task of a subject.
        Index("ix_upload_tasks_subject_created", "subject_id", "created_at"),
        # The reaper scans unfinished tasks.
        Index("ix_upload_tasks_status", "status"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "task_status"), default=TaskStatus.PENDING)
    progress: Mapped[int] = mapped_column(default=0, server_default="0")
    total_items: Mapped[int] = mapped_column(default=0, server_default="0")
    processed_items: Mapped[int] = mapped_column(default=0, server_default="0")
    images_processed: Mapped[int] = mapped_column(default=0, server_default="0")
    images_skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    portfolio_images_processed: Mapped[int] = mapped_column(default=0, server_default="0")
    error_message: Mapped[str | None] = mapped_column(Text)
    result_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Where the uploaded ZIP waits for the worker (a storage key); cleared once processed.
    archive_key: Mapped[str | None] = mapped_column(String(512))
