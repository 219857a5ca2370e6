from __future__ import annotations

import uuid

import strawberry

from graph import access
from graph.context import Info
from graph.tasks.types import SubjectBaseImagesUploadTask
from services.caller import Caller
from services.upload_tasks import get_task, latest_task


@strawberry.type
class Query:
    @access.query("An upload task: yours, or one of a subject you can see (superusers see all).")
    async def subject_upload_task(self, info: Info, caller: Caller, task_id: uuid.UUID) -> SubjectBaseImagesUploadTask:
        async with info.context.read_session() as session:
            row = await get_task(session, caller, task_id)
        return SubjectBaseImagesUploadTask.of(row)

    @access.query("The newest upload task of a subject you can see.")
    async def subject_latest_upload_task(
        self, info: Info, caller: Caller, subject_id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> SubjectBaseImagesUploadTask:
        async with info.context.read_session() as session:
            row = await latest_task(session, caller, subject_id, organization_id=organization_id)
        return SubjectBaseImagesUploadTask.of(row)
