from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import ShotType as ShotTypeRow
from graph.common.inputs import given, ownership_changes
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.shot_types.inputs import ShotTypeCreate, ShotTypeUpdate
from graph.shot_types.types import ShotType
from services import crud
from services.shot_types import WHAT, create_shot_type, update_shot_type


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_shot_type(
        self, info: Info, input: ShotTypeCreate, organization_id: uuid.UUID | None = None
    ) -> ShotType:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_shot_type(
                session,
                info.context.resources,
                caller,
                columns=input.columns(),
                reference_image=input.reference_image_url.source() if input.reference_image_url else None,
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return ShotType.of(row)

    @strawberry.mutation(description="Change the given fields of a shot type.")
    async def update_shot_type(
        self, info: Info, id: uuid.UUID, input: ShotTypeUpdate, organization_id: uuid.UUID | None = None
    ) -> ShotType:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        if given(input.reference_image_url):
            changes["reference_image"] = input.reference_image_url.source() if input.reference_image_url else None
        changes.update(ownership_changes(input))
        async with info.context.session() as session, session.begin():
            row = await update_shot_type(
                session, info.context.resources, caller, id, changes=changes, organization_id=organization_id
            )
        return ShotType.of(row)

    @strawberry.mutation(description="Soft-delete a shot type (superusers can restore it).")
    async def delete_shot_type(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, ShotTypeRow, id, WHAT, organization_id=organization_id)
        return Message(message="Shot type deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted shot type (superusers only).")
    async def restore_shot_type(self, info: Info, id: uuid.UUID) -> ShotType:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, ShotTypeRow, id, WHAT)
        return ShotType.of(row)
