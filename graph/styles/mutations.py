from __future__ import annotations

import uuid

import strawberry

from db.models import Style as StyleRow
from graph import access
from graph.arguments import Id, OrganizationId
from graph.context import Info
from graph.crud import Write
from graph.styles.inputs import STYLE_TRIGGER_MAX_LENGTH, StyleCreate, StyleUpdate
from graph.styles.queries import STYLES
from graph.styles.types import Style, StyleAdmin
from services import styles
from services.caller import Caller


async def _create(write: Write, input: StyleCreate, organization_id: uuid.UUID | None) -> StyleRow:
    return await styles.create_style(
        write.session,
        write.resources,
        write.caller,
        columns=input.columns(),
        cover_image=input.cover_source(),
        data_images=input.data_image_sources(),
        organization_id=organization_id,
    )


async def _update(write: Write, id: Id, input: StyleUpdate, organization_id: uuid.UUID | None) -> StyleRow:
    return await styles.update_style(
        write.session,
        write.resources,
        write.caller,
        id,
        changes=input.changes(),
        regenerate_slug=input.regenerate_slug,
        organization_id=organization_id,
    )


async def _set_archived(info: Info, caller: Caller, id: Id, archived: bool, organization_id: uuid.UUID | None) -> Style:
    async with info.context.session() as session, session.begin():
        row = await styles.set_archived(session, caller, id, archived, organization_id=organization_id)
    return Style.of(row)


@strawberry.type
class Mutation:
    create_style = STYLES.create("Create a style; its slug is made from the name and is unique.", StyleCreate, _create)
    update_style = STYLES.update("Change the given fields of a style (a rename keeps the slug).", StyleUpdate, _update)
    delete_style = STYLES.delete("Soft-delete a style (superusers can restore it).")
    restore_style = STYLES.restore("Restore a soft-deleted style (superusers only).")

    @access.mutation("Archive a style: it stays readable by id and slug but leaves default lists.")
    async def archive_style(self, info: Info, caller: Caller, id: Id, organization_id: OrganizationId = None) -> Style:
        return await _set_archived(info, caller, id, True, organization_id)

    @access.mutation("Bring an archived style back into the default lists.")
    async def unarchive_style(
        self, info: Info, caller: Caller, id: Id, organization_id: OrganizationId = None
    ) -> Style:
        return await _set_archived(info, caller, id, False, organization_id)

    assign_style_owner = STYLES.assign_owner(
        "Give a style to another user; with organizationId also move it into that organization, of which the "
        "new owner must be a member (superusers only).",
        "style_id",
        StyleAdmin,
    )
    update_style_lora_trigger = STYLES.set_lora_trigger(
        "Set the LoRA trigger word; omitted or null clears it (superusers only).",
        "style_id",
        StyleAdmin,
        max_length=STYLE_TRIGGER_MAX_LENGTH,
    )
