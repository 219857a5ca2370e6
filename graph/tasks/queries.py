from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import SubjectBaseImagesUploadTask as TaskRow
from graph import access
from graph.arguments import OrganizationId, SubjectId, TaskId
from graph.context import Info
from graph.crud import Crud
from graph.list_options import BY_CREATED_AT, ListOptions
from graph.lists import Listing
from graph.tasks.types import SubjectBaseImagesUploadTask
from services.caller import Caller
from services.upload_tasks import WHAT, get_task, latest_task, visible_tasks

UPLOAD_TASKS = Crud(TaskRow, WHAT, SubjectBaseImagesUploadTask, owned=False, readable=visible_tasks)
UPLOAD_TASK_OPTIONS = ListOptions(
    "SubjectBaseImagesUploadTask", TaskRow, sort=(BY_CREATED_AT,), search=("error_message",), choices=("status",)
)


@dataclass(frozen=True)
class UploadTaskArguments:
    subject_id: uuid.UUID | None = None


@strawberry.type
class Query:
    @access.query("An upload task: yours, or one of a subject you can see (superusers see all).")
    async def subject_upload_task(self, info: Info, caller: Caller, task_id: TaskId) -> SubjectBaseImagesUploadTask:
        async with info.context.read_session() as session:
            row = await get_task(session, caller, task_id)
        return SubjectBaseImagesUploadTask.of(row)

    @access.query("The newest upload task of a subject you can see.")
    async def subject_latest_upload_task(
        self, info: Info, caller: Caller, subject_id: SubjectId, organization_id: OrganizationId = None
    ) -> SubjectBaseImagesUploadTask:
        async with info.context.read_session() as session:
            row = await latest_task(session, caller, subject_id, organization_id=organization_id)
        return SubjectBaseImagesUploadTask.of(row)

    subject_upload_tasks = UPLOAD_TASKS.list(
        "The upload tasks you may see (yours, and those of subjects you can see; superusers: all), newest first; "
        "subjectId keeps one subject's.",
        Listing(UploadTaskArguments, UPLOAD_TASK_OPTIONS, equal=("subject_id",)),
        "SubjectBaseImagesUploadTasks",
    )
