from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.inputs import BackgroundPresetCreate, BackgroundPresetUpdate
from graph.background_presets.loaders import BackgroundPresetFramingsByPresetIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.common.inputs import ownership_changes
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from services import crud
from services.background_presets import WHAT, create_background_preset, update_background_preset


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a background preset with one image per framing.")
    async def create_background_preset(
        self, info: Info, input: BackgroundPresetCreate, organization_id: uuid.UUID | None = None
    ) -> BackgroundPreset:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_background_preset(
                session,
                info.context.resources,
                caller,
                name=input.name,
                strategy=input.strategy,
                framings=input.framing_specs(),
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return BackgroundPreset.of(row)

    @strawberry.mutation(
        description="Change the given fields of a background preset; framings, when given, replace all."
    )
    async def update_background_preset(
        self, info: Info, id: uuid.UUID, input: BackgroundPresetUpdate, organization_id: uuid.UUID | None = None
    ) -> BackgroundPreset:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        changes.update(ownership_changes(input))
        async with info.context.session() as session, session.begin():
            row = await update_background_preset(
                session,
                info.context.resources,
                caller,
                id,
                changes=changes,
                framings=input.framing_specs(),
                organization_id=organization_id,
            )
        # An earlier field of the same document may have loaded the old framings.
        info.context.loaders.get(BackgroundPresetFramingsByPresetIdLoader).clear(row.id)
        return BackgroundPreset.of(row)

    @strawberry.mutation(description="Soft-delete a background preset (superusers can restore it).")
    async def delete_background_preset(
        self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, BackgroundPresetRow, id, WHAT, organization_id=organization_id)
        return Message(message="Background preset deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted background preset (superusers only).")
    async def restore_background_preset(self, info: Info, id: uuid.UUID) -> BackgroundPreset:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, BackgroundPresetRow, id, WHAT)
        return BackgroundPreset.of(row)
