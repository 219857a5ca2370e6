from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.common.inputs import ownership_changes
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.resolution_presets.inputs import ResolutionPresetCreate, ResolutionPresetUpdate
from graph.resolution_presets.types import ResolutionPreset
from services import crud
from services.resolution_presets import WHAT, create_resolution_preset, update_resolution_preset


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_resolution_preset(
        self, info: Info, input: ResolutionPresetCreate, organization_id: uuid.UUID | None = None
    ) -> ResolutionPreset:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_resolution_preset(
                session,
                caller,
                name=input.name,
                width=input.width,
                height=input.height,
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return ResolutionPreset.of(row)

    @strawberry.mutation(description="Change the given fields of a resolution preset.")
    async def update_resolution_preset(
        self, info: Info, id: uuid.UUID, input: ResolutionPresetUpdate, organization_id: uuid.UUID | None = None
    ) -> ResolutionPreset:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        changes.update(ownership_changes(input))
        async with info.context.session() as session, session.begin():
            row = await update_resolution_preset(session, caller, id, changes=changes, organization_id=organization_id)
        return ResolutionPreset.of(row)

    @strawberry.mutation(description="Soft-delete a resolution preset (superusers can restore it).")
    async def delete_resolution_preset(
        self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, ResolutionPresetRow, id, WHAT, organization_id=organization_id)
        return Message(message="Resolution preset deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted resolution preset (superusers only).")
    async def restore_resolution_preset(self, info: Info, id: uuid.UUID) -> ResolutionPreset:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, ResolutionPresetRow, id, WHAT)
        return ResolutionPreset.of(row)
