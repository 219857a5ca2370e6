from __future__ import annotations

import uuid
from typing import Any

import strawberry

from db.models import PosePreset as PosePresetRow
from graph.common.inputs import given, ownership_changes
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.pose_presets.inputs import PosePresetCreate, PosePresetUpdate
from graph.pose_presets.types import PosePreset
from services import crud
from services.pose_presets import WHAT, create_pose_preset, update_pose_preset


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_pose_preset(
        self, info: Info, input: PosePresetCreate, organization_id: uuid.UUID | None = None
    ) -> PosePreset:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await create_pose_preset(
                session,
                info.context.resources,
                caller,
                columns=input.columns(),
                pose_image=input.pose_image.source() if input.pose_image else None,
                owner_id=input.owner_id,
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return PosePreset.of(row)

    @strawberry.mutation(description="Change the given fields of a pose preset.")
    async def update_pose_preset(
        self, info: Info, id: uuid.UUID, input: PosePresetUpdate, organization_id: uuid.UUID | None = None
    ) -> PosePreset:
        caller = info.context.require_caller()
        input.check()
        changes: dict[str, Any] = input.columns()
        if given(input.pose_image):
            changes["pose_image"] = input.pose_image.source() if input.pose_image else None
        changes.update(ownership_changes(input))
        async with info.context.session() as session, session.begin():
            row = await update_pose_preset(
                session, info.context.resources, caller, id, changes=changes, organization_id=organization_id
            )
        return PosePreset.of(row)

    @strawberry.mutation(description="Soft-delete a pose preset (superusers can restore it).")
    async def delete_pose_preset(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, PosePresetRow, id, WHAT, organization_id=organization_id)
        return Message(message="Pose preset deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted pose preset (superusers only).")
    async def restore_pose_preset(self, info: Info, id: uuid.UUID) -> PosePreset:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, PosePresetRow, id, WHAT)
        return PosePreset.of(row)
