from __future__ import annotations

import uuid

import strawberry

from db.models import Style as StyleRow
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.styles.inputs import StyleCreate, StyleUpdate, check_lora_trigger
from graph.styles.types import Style, StyleAdmin
from services import crud, styles
from services.styles import WHAT


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a style; its slug is made from the name and is unique.")
    async def create_style(self, info: Info, input: StyleCreate, organization_id: uuid.UUID | None = None) -> Style:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await styles.create_style(
                session,
                info.context.resources,
                caller,
                columns=input.columns(),
                cover_image=input.cover_source(),
                data_images=input.data_image_sources(),
                organization_id=merge_organization(organization_id, input.organization_id),
            )
        return Style.of(row)

    @strawberry.mutation(description="Change the given fields of a style (a rename keeps the slug).")
    async def update_style(
        self, info: Info, id: uuid.UUID, input: StyleUpdate, organization_id: uuid.UUID | None = None
    ) -> Style:
        caller = info.context.require_caller()
        input.check()
        async with info.context.session() as session, session.begin():
            row = await styles.update_style(
                session,
                info.context.resources,
                caller,
                id,
                changes=input.changes(),
                regenerate_slug=input.regenerate_slug,
                organization_id=organization_id,
            )
        return Style.of(row)

    @strawberry.mutation(description="Soft-delete a style (superusers can restore it).")
    async def delete_style(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            await crud.soft_delete(session, caller, StyleRow, id, WHAT, organization_id=organization_id)
        return Message(message="Style deleted successfully")

    @strawberry.mutation(description="Restore a soft-deleted style (superusers only).")
    async def restore_style(self, info: Info, id: uuid.UUID) -> Style:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await crud.restore(session, caller, StyleRow, id, WHAT)
        return Style.of(row)

    @strawberry.mutation(description="Archive a style: it stays readable by id and slug but leaves default lists.")
    async def archive_style(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Style:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await styles.set_archived(session, caller, id, True, organization_id=organization_id)
        return Style.of(row)

    @strawberry.mutation(description="Bring an archived style back into the default lists.")
    async def unarchive_style(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Style:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            row = await styles.set_archived(session, caller, id, False, organization_id=organization_id)
        return Style.of(row)

    @strawberry.mutation(
        description=(
            "Give a style to another user; with organizationId also move it into that organization, of which the "
            "new owner must be a member (superusers only)."
        )
    )
    async def assign_style_owner(
        self, info: Info, style_id: uuid.UUID, new_owner_id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> StyleAdmin:
        caller = info.context.require_superuser()
        async with info.context.session() as session, session.begin():
            row = await styles.assign_owner(
                session, caller, style_id, new_owner_id=new_owner_id, organization_id=organization_id
            )
        return StyleAdmin.of(row)

    @strawberry.mutation(description="Set the LoRA trigger word; omitted or null clears it (superusers only).")
    async def update_style_lora_trigger(
        self, info: Info, style_id: uuid.UUID, lora_trigger: str | None = None
    ) -> StyleAdmin:
        caller = info.context.require_superuser()
        check_lora_trigger(lora_trigger)
        async with info.context.session() as session, session.begin():
            row = await styles.set_lora_trigger(session, caller, style_id, lora_trigger)
        return StyleAdmin.of(row)
