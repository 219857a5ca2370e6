"""Superuser-only subject operations (the spec's /subjects/admin/ endpoints), answering SubjectAdmin."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement

from db.models import Subject as SubjectRow
from db.models.enums import BodyType
from graph.common.types import Message
from graph.context import Info
from graph.subjects.types import SubjectAdmin, SubjectsAdmin
from graph.validation import InputErrors, check_page
from services import crud
from services.subjects import WHAT
from services.subjects_admin import assign_owner, bulk_assign, ensure_user_exists, set_lora_trigger

LORA_TRIGGER_MAX_LENGTH = 255


@strawberry.type
class Query:
    @strawberry.field(description="Every subject, whoever owns it (superusers only).")
    async def admin_subjects(
        self,
        info: Info,
        body_type: BodyType | None = None,
        organization_id: uuid.UUID | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> SubjectsAdmin:
        caller = info.context.require_superuser()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = []
        if body_type is not None:
            filters.append(SubjectRow.body_type == body_type)
        async with info.context.session() as session:
            rows, count = await crud.list_visible(
                session, caller, SubjectRow, organization_id=organization_id, filters=filters, skip=skip, limit=limit
            )
        return SubjectsAdmin(data=[SubjectAdmin.of(row) for row in rows], count=count)

    @strawberry.field(description="A subject with its admin fields (superusers only).")
    async def admin_subject(self, info: Info, id: uuid.UUID) -> SubjectAdmin:
        caller = info.context.require_superuser()
        async with info.context.session() as session:
            row = await crud.get_visible(session, caller, SubjectRow, id, WHAT)
        return SubjectAdmin.of(row)

    @strawberry.field(description="The subjects a user owns, optionally only an organization's (superusers only).")
    async def user_subjects(
        self,
        info: Info,
        user_id: uuid.UUID,
        organization_id: uuid.UUID | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> SubjectsAdmin:
        caller = info.context.require_superuser()
        check_page(skip, limit)
        async with info.context.session() as session:
            await ensure_user_exists(session, user_id)
            rows, count = await crud.list_visible(
                session,
                caller,
                SubjectRow,
                organization_id=organization_id,
                filters=[SubjectRow.owner_id == user_id],
                skip=skip,
                limit=limit,
            )
        return SubjectsAdmin(data=[SubjectAdmin.of(row) for row in rows], count=count)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Set the subject's LoRA trigger word; null or blank clears it (superusers only).")
    async def update_subject_lora_trigger(
        self, info: Info, subject_id: uuid.UUID, lora_trigger: str | None = None
    ) -> SubjectAdmin:
        caller = info.context.require_superuser()
        errors = InputErrors()
        errors.max_length("loraTrigger", lora_trigger, LORA_TRIGGER_MAX_LENGTH)
        errors.raise_if_any()
        trigger = lora_trigger.strip() if lora_trigger else None
        async with info.context.session() as session, session.begin():
            row = await set_lora_trigger(session, caller, subject_id, trigger or None)
        return SubjectAdmin.of(row)

    @strawberry.mutation(
        description=(
            "Give a subject to another user; with organizationId also move it into that organization, of which "
            "the new owner must be a member (superusers only)."
        )
    )
    async def assign_subject_owner(
        self, info: Info, subject_id: uuid.UUID, new_owner_id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> SubjectAdmin:
        caller = info.context.require_superuser()
        async with info.context.session() as session, session.begin():
            row = await assign_owner(session, caller, subject_id, new_owner_id, organization_id=organization_id)
        return SubjectAdmin.of(row)

    @strawberry.mutation(
        description=(
            "Give every listed subject to a user (and organization), all or nothing: one unknown or deleted id "
            "changes none (superusers only)."
        )
    )
    async def bulk_assign_subjects(
        self,
        info: Info,
        user_id: uuid.UUID,
        subject_ids: list[uuid.UUID],
        organization_id: uuid.UUID | None = None,
    ) -> Message:
        caller = info.context.require_superuser()
        async with info.context.session() as session, session.begin():
            count = await bulk_assign(session, caller, user_id, subject_ids, organization_id=organization_id)
        return Message(message=f"Assigned {count} subject{'s' if count != 1 else ''} to the user")
