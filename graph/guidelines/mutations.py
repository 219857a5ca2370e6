from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.common.inputs import given
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.guidelines.inputs import ShootingGuidelinesCreate, ShootingGuidelinesUpdate
from graph.guidelines.types import ShootingGuidelines
from services import crud
from services.guidelines import WHAT, create_guidelines, update_guidelines


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create guidelines with their links and rule groups, all or nothing.")
    async def create_guidelines(
        self, info: Info, input: ShootingGuidelinesCreate, organization_id: uuid.UUID | None = None
    ) -> ShootingGuidelines:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_guidelines(
                session,
                caller,
                columns=input.columns(),
                links=input.links(),
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return ShootingGuidelines.of(row)

    @strawberry.mutation(description="Change the given fields of guidelines; a given list replaces the stored one.")
    async def update_guidelines(
        self, info: Info, id: uuid.UUID, input: ShootingGuidelinesUpdate, organization_id: uuid.UUID | None = None
    ) -> ShootingGuidelines:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        if given(input.owner_id):
            changes["owner_id"] = input.owner_id
        if given(input.organization_id):
            changes["organization_id"] = input.organization_id
        async with info.context.session() as session, session.begin():
            row = await update_guidelines(
                session, caller, id, changes=changes, links=input.links(), organization_id=organization_id
            )
        return ShootingGuidelines.of(row)

    @strawberry.mutation(description="Soft-delete guidelines (superusers can restore them).")
    async def delete_guidelines(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, GuidelinesRow, id, WHAT, organization_id=organization_id)
        return Message(message="Guidelines deleted successfully")

    @strawberry.mutation(description="Restore soft-deleted guidelines (superusers only).")
    async def restore_guidelines(self, info: Info, id: uuid.UUID) -> ShootingGuidelines:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, GuidelinesRow, id, WHAT)
        return ShootingGuidelines.of(row)
