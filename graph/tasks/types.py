"""The upload task a client polls or subscribes to (the spec's SubjectBaseImagesUploadTaskPublic)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from db.models import SubjectBaseImagesUploadTask as TaskRow
from db.models.enums import TaskStatus
from graph.common.presented import Presented


@strawberry.type(
    description=(
        "A ZIP of base images being processed: PENDING, then PROCESSING, then COMPLETED or FAILED. The counters "
        "and progress (0-100) change while it runs; resultData lists each entry's outcome once it ends."
    )
)
class SubjectBaseImagesUploadTask(Presented[TaskRow]):
    id: uuid.UUID = strawberry.field(description="The task's id: subjectUploadTask and uploadTaskProgress take it.")
    owner_id: uuid.UUID = strawberry.field(description="The user who uploaded the ZIP.")
    subject_id: uuid.UUID = strawberry.field(
        description="The subject the images go to (given, or made from metadata.json before the task was answered)."
    )
    status: TaskStatus = strawberry.field(description="Where the task is: PENDING, PROCESSING, COMPLETED or FAILED.")
    progress: int = strawberry.field(description="0 to 100.")
    total_items: int = strawberry.field(description="Entries of the ZIP considered (folders and metadata.json aside).")
    processed_items: int = strawberry.field(description="Entries handled so far, out of totalItems.")
    images_processed: int = strawberry.field(description="Entries that became base images.")
    images_skipped: int = strawberry.field(description="Entries skipped, each with its reason in resultData.")
    portfolio_images_processed: int = strawberry.field(
        description="Entries under portfolio/ that became portfolio images."
    )
    error_message: str | None = strawberry.field(description="Why the task FAILED.")
    created_at: datetime = strawberry.field(description="When the ZIP was accepted (UTC).")
    started_at: datetime | None = strawberry.field(description="When a worker started it (UTC); null while PENDING.")
    completed_at: datetime | None = strawberry.field(
        description="When it ended, COMPLETED or FAILED (UTC); null until then."
    )
    result_data: JSON | None = strawberry.field(
        description=(
            '{"subjectId", "entries": [{"name", "outcome": "base_image"|"portfolio"|"skipped", "shotTypeId"?, '
            '"reason"?}]} once the task has ended.'
        )
    )
