"""The Subscription root: uploadTaskProgress and loraStatus (docs/api.md, "Subscriptions").

Each resolver first checks, with one read, that the caller may see the object, so that a refusal is an `error`
message with no data (the operation never starts); then it hands over to `watch_row`, which subscribes to the
object's channel before reading it again (see there for why in that order).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Style as StyleRow
from db.models import Subject as SubjectRow
from db.models import SubjectBaseImagesUploadTask as TaskRow
from db.models.enums import LoraStatus, TaskStatus
from graph import fields
from graph.arguments import OptionalStyleId, OptionalSubjectId, TaskId
from graph.context import Info
from graph.styles.types import Style
from graph.subjects.types import Subject
from graph.subscriptions.types import LoraStatusEntity
from graph.subscriptions.watch_row import watch_row
from graph.tasks.types import SubjectBaseImagesUploadTask
from services import crud
from services.caller import Caller
from services.errors import BadUserInputError
from services.progress import lora_channel, task_channel
from services.styles import WHAT as STYLE
from services.subjects import WHAT as SUBJECT
from services.upload_tasks import get_task

_TASK_FINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED})


async def _check(info: Info, read: Callable[[AsyncSession], Awaitable[Any]]) -> None:
    """Raise the refusal (NOT_FOUND) now, before the resolver hands back its stream."""
    async with info.context.read_session() as session:
        await read(session)


def _task_seen(row: TaskRow) -> tuple[Any, ...]:
    """What a client sees of a task change. resultData is only written together with the final status (and
    cleared when a retried job starts over), so its presence stands for it without comparing the whole JSON."""
    return (
        row.status,
        row.progress,
        row.total_items,
        row.processed_items,
        row.images_processed,
        row.images_skipped,
        row.portfolio_images_processed,
        row.error_message,
        row.started_at,
        row.completed_at,
        row.result_data is not None,
    )


@strawberry.type
class Subscription:
    @fields.subscription(
        "A ZIP upload task: first as it stands, then at every change, completing after COMPLETED or FAILED. "
        "Should live updates become unavailable, it ends with an error; subjectUploadTask still answers."
    )
    async def upload_task_progress(
        self, info: Info, task_id: TaskId
    ) -> AsyncGenerator[SubjectBaseImagesUploadTask, None]:
        caller = info.context.require_caller()

        async def read(session: AsyncSession) -> TaskRow:
            return await get_task(session, caller, task_id)

        await _check(info, read)
        return watch_row(
            info,
            task_channel(info.context.resources.settings, task_id),
            read,
            seen=_task_seen,
            final=lambda row: row.status in _TASK_FINAL,
            present=SubjectBaseImagesUploadTask.of,
            poll_instead="subjectUploadTask",
        )

    @fields.subscription(
        "A subject's or a style's LoRA state (give exactly one of subjectId and styleId): first as it stands, "
        "then at every change of loraStatus (subjects: also loraError; styles: also trainingProgress and "
        "trainingError), completing once loraStatus is no longer processing (at once if it was not)."
    )
    async def lora_status(
        self, info: Info, subject_id: OptionalSubjectId = None, style_id: OptionalStyleId = None
    ) -> AsyncGenerator[LoraStatusEntity, None]:
        caller = info.context.require_caller()
        if (subject_id is None) == (style_id is None):
            problem = "give exactly one of subjectId and styleId"
            raise BadUserInputError({"subjectId": problem, "styleId": problem})
        watched, row_id = (_SUBJECT_LORA, subject_id) if subject_id is not None else (_STYLE_LORA, style_id)
        assert row_id is not None
        read = _reader(caller, watched.model, row_id, watched.what)
        await _check(info, read)
        return watch_row(
            info,
            lora_channel(info.context.resources.settings, watched.kind, row_id),
            read,
            seen=watched.seen,
            final=_lora_final,
            present=watched.present,
            poll_instead=watched.kind,
        )


def _reader(caller: Caller, model: Any, row_id: uuid.UUID, what: str) -> Callable[[AsyncSession], Awaitable[Any]]:
    async def read(session: AsyncSession) -> Any:
        return await crud.get_visible(session, caller, model, row_id, what)

    return read


def _lora_final(row: SubjectRow | StyleRow) -> bool:
    return row.lora_status is not LoraStatus.PROCESSING


@dataclass(frozen=True)
class _LoraWatch:
    """What `loraStatus` watches of one kind of object: its model, its noun, its channel's and query's name (`kind`),
    what a client sees change, and its GraphQL type."""

    model: Any
    what: str
    kind: str
    seen: Callable[[Any], Hashable]
    present: Callable[[Any], LoraStatusEntity]


_SUBJECT_LORA = _LoraWatch(SubjectRow, SUBJECT, "subject", lambda row: (row.lora_status, row.lora_error), Subject.of)
_STYLE_LORA = _LoraWatch(
    StyleRow, STYLE, "style", lambda row: (row.lora_status, row.training_progress, row.training_error), Style.of
)
