from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from db.models import Subject as SubjectRow
from graph import access
from graph.access import SUPERUSER
from graph.arguments import Id, OrganizationId, about
from graph.common.inputs import source_of
from graph.common.types import Message
from graph.context import Info
from graph.crud import Write
from graph.subjects.inputs import BaseImageCreate, SubjectCreate, SubjectUpdate
from graph.subjects.queries import SUBJECTS
from graph.subjects.types import BaseImage, Subject
from graph.validation import InputErrors
from services.caller import Caller
from services.media_gc import delete_files
from services.subjects import SubjectParts, copy_subject, create_subject, update_subject
from services.subjects_base_images import add_base_image, delete_base_image


def subject_parts(input: SubjectCreate) -> SubjectParts:
    """The nested parts of a new subject, as its input gives them (here and in a ZIP's metadata.json)."""
    return SubjectParts(
        cover_image=input.cover_image.source(),
        portrait_image=source_of(input.portrait_image),
        data_images=input.data_image_sources(),
        portfolio_images=input.portfolio_image_sources(),
        base_images=input.base_image_specs(),
        measurements=input.measurements.columns() if input.measurements else None,
    )


async def _create(write: Write, input: SubjectCreate, organization_id: uuid.UUID | None) -> SubjectRow:
    return await create_subject(
        write.session,
        write.resources,
        write.caller,
        columns=input.columns(),
        parts=subject_parts(input),
        organization_id=organization_id,
    )


async def _update(write: Write, id: Id, input: SubjectUpdate, organization_id: uuid.UUID | None) -> SubjectRow:
    return await update_subject(
        write.session, write.resources, write.caller, id, changes=input.changes(), organization_id=organization_id
    )


@strawberry.type
class Mutation:
    create_subject = SUBJECTS.create(
        "Create a subject with its images, base images and measurements.", SubjectCreate, _create
    )
    update_subject = SUBJECTS.update(
        "Change the given fields of a subject. organizationId in the input transfers it: into an organization "
        "you belong to, or (null) out of one, which only its owner may do.",
        SubjectUpdate,
        _update,
    )
    delete_subject = SUBJECTS.delete("Soft-delete a subject; its files stay until the purge job removes them.")
    restore_subject = SUBJECTS.restore("Restore a soft-deleted subject (superusers only).")

    @access.mutation(
        "Copy a subject (superusers only): a new id and slug, its own measurement and image rows sharing the "
        "stored files, and no LoRA.",
        SUPERUSER,
    )
    async def copy_subject(self, info: Info, caller: Caller, id: Id) -> Subject:
        async with info.context.session() as session, session.begin():
            row = await copy_subject(session, caller, id)
        return Subject.of(row)

    @access.mutation(
        "Add the subject's base image for a shot type, replacing the one it had for that shot type; "
        "answers the stored base image."
    )
    async def add_subject_base_image(
        self,
        info: Info,
        caller: Caller,
        id: Id,
        input: Annotated[BaseImageCreate, about("input")],
        organization_id: OrganizationId = None,
    ) -> BaseImage:
        errors = InputErrors()
        input.check(errors, "input")
        errors.raise_if_any()
        resources = info.context.resources
        async with info.context.session() as session, session.begin():
            row, freed = await add_base_image(
                session, resources, caller, id, input.spec(), organization_id=organization_id
            )
        await delete_files(resources.session_factory, resources.storage, freed)
        return BaseImage.of(row)

    @access.mutation("Delete the subject's base image with this URL; its file goes when nothing else uses it.")
    async def delete_subject_base_image(
        self,
        info: Info,
        caller: Caller,
        id: Id,
        url: Annotated[
            str, strawberry.argument(description="The base image's imageUrl, as subjectBaseImages answers it.")
        ],
        organization_id: OrganizationId = None,
    ) -> Message:
        resources = info.context.resources
        async with info.context.session() as session, session.begin():
            freed = await delete_base_image(session, resources, caller, id, url, organization_id=organization_id)
        await delete_files(resources.session_factory, resources.storage, freed)
        return Message(message="Base image deleted successfully")
