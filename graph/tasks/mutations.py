from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import StagedFile
from db.models import Subject as SubjectRow
from db.models import SubjectBaseImagesUploadTask as TaskRow
from graph import access
from graph.arguments import File, OrganizationId, SubjectId
from graph.common.scope import merge_organization
from graph.context import Info
from graph.subjects.mutations import subject_parts
from graph.tasks.intake import Intake, cover_from_archive, inspect_upload, stage_upload
from graph.tasks.metadata import parse_metadata, snake_fields, with_cover
from graph.tasks.types import SubjectBaseImagesUploadTask
from services.caller import Caller
from services.crud import get_visible
from services.errors import BadUserInputError
from services.media import MediaService
from services.queue import enqueue
from services.resources import Resources
from services.subjects import WHAT as SUBJECT
from services.subjects import create_subject
from services.upload_tasks import INGEST_JOB, archive_key_for, create_task, release_archive, store_archive_ahead
from services.visibility import ensure_can_modify, ensure_member


@strawberry.type
class Mutation:
    @access.mutation(
        "Upload a ZIP of base images (GraphQL multipart request). Images named after a shot type become the "
        "subject's base images, images under portfolio/ its portfolio; anything else is skipped. Without "
        "subjectId, metadata.json at the ZIP's root (SubjectCreate fields in snake_case) makes a new subject; "
        "without a cover_image there, the archive's first image (outside portfolio/ first) is its cover. "
        "Answers the PENDING task; follow it with subjectUploadTask or the uploadTaskProgress subscription."
    )
    async def upload_subject_base_images_zip(
        self,
        info: Info,
        caller: Caller,
        file: File,
        subject_id: Annotated[
            uuid.UUID | None,
            strawberry.argument(
                description="The subject the images are for (one you can see); omitted: metadata.json makes a new one."
            ),
        ] = None,
        organization_id: OrganizationId = None,
    ) -> SubjectBaseImagesUploadTask:
        resources = info.context.resources
        # Refused callers are refused before the file is copied anywhere.
        if subject_id is not None:
            async with info.context.session() as session:
                await _modifiable_subject(session, caller, subject_id, organization_id)
        elif organization_id is not None:
            ensure_member(caller, organization_id)

        staged = await stage_upload(resources, file)
        try:
            intake = await inspect_upload(resources, staged, want_metadata=subject_id is None)
            task = await _record(info, caller, staged, intake, subject_id, organization_id)
        finally:
            staged.discard()  # consumed by a successful commit; removed on any failure
        # Only now that the task is committed can a worker find it; the task id makes a double enqueue one job.
        await enqueue(resources.redis, resources.settings, INGEST_JOB, str(task.id), job_id=str(task.id))
        return SubjectBaseImagesUploadTask.of(task)


async def _record(
    info: Info,
    caller: Caller,
    staged: StagedFile,
    intake: Intake,
    subject_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> TaskRow:
    """The subject (found, or made from metadata.json) and its PENDING task, in one transaction."""
    resources = info.context.resources
    try:
        await store_archive_ahead(resources, staged)
        async with info.context.session() as session, session.begin():
            if subject_id is not None:
                subject = await _modifiable_subject(session, caller, subject_id, organization_id)
            else:
                subject = await _subject_from_metadata(session, resources, caller, staged, intake, organization_id)
            task = await create_task(session, resources, caller, subject, staged)
    except BaseException:
        # The ZIP may have been stored without its task committing: let it go unless another task needs it.
        await release_archive(resources, archive_key_for(staged))
        raise
    return task


async def _modifiable_subject(
    session: AsyncSession, caller: Caller, subject_id: SubjectId, organization_id: uuid.UUID | None
) -> SubjectRow:
    subject = await get_visible(session, caller, SubjectRow, subject_id, SUBJECT, organization_id=organization_id)
    ensure_can_modify(caller, subject, SUBJECT)
    return subject


async def _subject_from_metadata(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    staged: StagedFile,
    intake: Intake,
    organization_id: uuid.UUID | None,
) -> SubjectRow:
    assert intake.metadata is not None  # inspect_upload(want_metadata=True) answers it or raises
    subject_input, cover_given = parse_metadata(intake.metadata)
    try:
        organization = merge_organization(organization_id, subject_input.organization_id)
        if not cover_given:
            media = MediaService(session, resources, caller)
            with_cover(subject_input, (await cover_from_archive(media, staged, intake.cover_candidates)).id)
        return await create_subject(
            session,
            resources,
            caller,
            columns=subject_input.columns(),
            parts=subject_parts(subject_input),
            organization_id=organization,
        )
    except BadUserInputError as exc:
        # The subject's own fields are reported as problems of metadata.json; the archive's as `file`.
        if any(path.startswith("input.") for path in exc.fields):
            raise snake_fields(exc) from exc
        raise
