"""Superuser-only subject operations (the spec's /subjects/admin/ endpoints), answering SubjectAdmin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Subject as SubjectRow
from db.models.enums import BodyType
from graph import access
from graph.access import SUPERUSER
from graph.arguments import OrganizationId, UserId, about
from graph.common.types import Message
from graph.context import Info
from graph.list_options import Filtered
from graph.lists import Listing
from graph.lora.mutations import SUBJECT_TRIGGER_MAX_LENGTH
from graph.subjects.queries import SUBJECT_OPTIONS, SUBJECTS
from graph.subjects.types import SubjectAdmin
from services.caller import Caller
from services.subjects_admin import bulk_assign, ensure_user_exists


@dataclass(frozen=True)
class AdminSubjectArguments:
    body_type: Annotated[BodyType | None, about("body_type")] = None
    organization_id: Annotated[
        uuid.UUID | None, strawberry.argument(description="Keep only that organization's subjects.")
    ] = None


@dataclass(frozen=True)
class UserSubjectArguments:
    user_id: Annotated[
        uuid.UUID, strawberry.argument(description="The owner whose subjects to list (NOT_FOUND when unknown).")
    ]
    organization_id: OrganizationId = None


def _owned_by_user(caller: Caller, arguments: UserSubjectArguments, filtered: Filtered) -> list[ColumnElement[bool]]:
    return [SubjectRow.owner_id == arguments.user_id]


async def _user_exists(session: AsyncSession, arguments: UserSubjectArguments) -> None:
    await ensure_user_exists(session, arguments.user_id)


@strawberry.type
class Query:
    admin_subjects = SUBJECTS.list(
        "Every subject, whoever owns it (superusers only).",
        Listing(AdminSubjectArguments, SUBJECT_OPTIONS, equal=("body_type",)),
        "SubjectsAdmin",
        access=SUPERUSER,
        output=SubjectAdmin,
    )
    admin_subject = SUBJECTS.get(
        "A subject with its admin fields (superusers only).", access=SUPERUSER, output=SubjectAdmin, scoped=False
    )
    user_subjects = SUBJECTS.list(
        "The subjects a user owns, optionally only an organization's (superusers only).",
        Listing(UserSubjectArguments, SUBJECT_OPTIONS, where=_owned_by_user, check=_user_exists),
        "SubjectsAdmin",
        access=SUPERUSER,
        output=SubjectAdmin,
    )


@strawberry.type
class Mutation:
    update_subject_lora_trigger = SUBJECTS.set_lora_trigger(
        "Set the subject's LoRA trigger word; null or blank clears it (superusers only).",
        "subject_id",
        SubjectAdmin,
        max_length=SUBJECT_TRIGGER_MAX_LENGTH,
    )
    assign_subject_owner = SUBJECTS.assign_owner(
        "Give a subject to another user; with organizationId also move it into that organization, of which "
        "the new owner must be a member (superusers only).",
        "subject_id",
        SubjectAdmin,
    )

    @access.mutation(
        "Give every listed subject to a user (and organization), all or nothing: one unknown or deleted id "
        "changes none (superusers only).",
        SUPERUSER,
    )
    async def bulk_assign_subjects(
        self,
        info: Info,
        caller: Caller,
        user_id: UserId,
        subject_ids: Annotated[
            list[uuid.UUID],
            strawberry.argument(description="The subjects to give: at most 1000 (a repeated id counts once)."),
        ],
        organization_id: Annotated[
            uuid.UUID | None,
            strawberry.argument(
                description="Also move every subject into this organization, of which the user must be a member."
            ),
        ] = None,
    ) -> Message:
        async with info.context.session() as session, session.begin():
            count = await bulk_assign(session, caller, user_id, subject_ids, organization_id=organization_id)
        return Message(message=f"Assigned {count} subject{'s' if count != 1 else ''} to the user")
