from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import SetDesign as SetDesignRow
from graph.common.inputs import ownership_changes
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.set_designs.inputs import SetDesignCreate, SetDesignUpdate
from graph.set_designs.types import SetDesign
from services import crud
from services.set_designs import WHAT, create_set_design, update_set_design


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_set_design(
        self, info: Info, input: SetDesignCreate, organization_id: uuid.UUID | None = None
    ) -> SetDesign:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_set_design(
                session,
                info.context.resources,
                caller,
                columns=input.columns(),
                parts=input.parts(),
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return SetDesign.of(row)

    @strawberry.mutation(description="Change the given fields of a set design; a given nested list replaces the old.")
    async def update_set_design(
        self, info: Info, id: uuid.UUID, input: SetDesignUpdate, organization_id: uuid.UUID | None = None
    ) -> SetDesign:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        changes.update(ownership_changes(input))
        async with info.context.session() as session, session.begin():
            row = await update_set_design(
                session,
                info.context.resources,
                caller,
                id,
                changes=changes,
                parts=input.parts(),
                organization_id=organization_id,
            )
        return SetDesign.of(row)

    @strawberry.mutation(description="Soft-delete a set design (superusers can restore it).")
    async def delete_set_design(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, SetDesignRow, id, WHAT, organization_id=organization_id)
        return Message(message="Set design deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted set design (superusers only).")
    async def restore_set_design(self, info: Info, id: uuid.UUID) -> SetDesign:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, SetDesignRow, id, WHAT)
        return SetDesign.of(row)
