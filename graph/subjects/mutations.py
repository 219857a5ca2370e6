from __future__ import annotations

import uuid

import strawberry

from db.models import Subject as SubjectRow
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.subjects.inputs import BaseImageCreate, SubjectCreate, SubjectUpdate
from graph.subjects.types import BaseImage, Subject
from graph.validation import InputErrors
from services import crud
from services.media_gc import delete_files
from services.subjects import WHAT, SubjectParts, copy_subject, create_subject, update_subject
from services.subjects_base_images import add_base_image, delete_base_image


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a subject with its images, base images and measurements.")
    async def create_subject(
        self, info: Info, input: SubjectCreate, organization_id: uuid.UUID | None = None
    ) -> Subject:
        caller = info.context.require_caller()
        input.check()
        parts = SubjectParts(
            cover_image=input.cover_image.source(),
            portrait_image=input.portrait_image.source() if input.portrait_image else None,
            data_images=input.data_image_sources(),
            portfolio_images=input.portfolio_image_sources(),
            base_images=input.base_image_specs(),
            measurements=input.measurements.columns() if input.measurements else None,
        )
        async with info.context.session() as session, session.begin():
            row = await create_subject(
                session,
                info.context.resources,
                caller,
                columns=input.columns(),
                parts=parts,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return Subject.of(row)

    @strawberry.mutation(
        description=(
            "Change the given fields of a subject. organizationId in the input transfers it: into an organization "
            "you belong to, or (null) out of one, which only its owner may do."
        )
    )
    async def update_subject(
        self, info: Info, id: uuid.UUID, input: SubjectUpdate, organization_id: uuid.UUID | None = None
    ) -> Subject:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await update_subject(
                session, info.context.resources, caller, id, changes=input.changes(), organization_id=organization_id
            )
        return Subject.of(row)

    @strawberry.mutation(description="Soft-delete a subject; its files stay until the purge job removes them.")
    async def delete_subject(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, SubjectRow, id, WHAT, organization_id=organization_id)
        return Message(message="Subject deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted subject (superusers only).")
    async def restore_subject(self, info: Info, id: uuid.UUID) -> Subject:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, SubjectRow, id, WHAT)
        return Subject.of(row)

    @strawberry.mutation(
        description=(
            "Copy a subject (superusers only): a new id and slug, its own measurement and image rows sharing the "
            "stored files, and no LoRA."
        )
    )
    async def copy_subject(self, info: Info, id: uuid.UUID) -> Subject:
        caller = info.context.require_superuser()
        async with info.context.session() as session, session.begin():
            row = await copy_subject(session, caller, id)
        return Subject.of(row)

    @strawberry.mutation(
        description="Add the subject's base image for a shot type, replacing the one it had for that shot type; "
        "answers the stored base image."
    )
    async def add_subject_base_image(
        self, info: Info, id: uuid.UUID, input: BaseImageCreate, organization_id: uuid.UUID | None = None
    ) -> BaseImage:
        caller = info.context.require_caller()
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

    @strawberry.mutation(
        description="Delete the subject's base image with this URL; its file goes when nothing else uses it."
    )
    async def delete_subject_base_image(
        self, info: Info, id: uuid.UUID, url: str, organization_id: uuid.UUID | None = None
    ) -> Message:
        caller = info.context.require_caller()
        resources = info.context.resources
        async with info.context.session() as session, session.begin():
            freed = await delete_base_image(session, resources, caller, id, url, organization_id=organization_id)
        await delete_files(resources.session_factory, resources.storage, freed)
        return Message(message="Base image deleted successfully")
