from __future__ import annotations

import uuid

import strawberry

from db.models import ShotType as ShotTypeRow
from graph.common.inputs import image_change, ownership_changes, source_of
from graph.crud import Write
from graph.shot_types.inputs import ShotTypeCreate, ShotTypeUpdate
from graph.shot_types.queries import SHOT_TYPES
from services.shot_types import create_shot_type, update_shot_type


async def _create(write: Write, input: ShotTypeCreate, organization_id: uuid.UUID | None) -> ShotTypeRow:
    return await create_shot_type(
        write.session,
        write.resources,
        write.caller,
        columns=input.columns(),
        reference_image=source_of(input.reference_image_url),
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(write: Write, id: uuid.UUID, input: ShotTypeUpdate, organization_id: uuid.UUID | None) -> ShotTypeRow:
    changes = {
        **input.columns(),
        **image_change("reference_image", input.reference_image_url),
        **ownership_changes(input),
    }
    return await update_shot_type(
        write.session, write.resources, write.caller, id, changes=changes, organization_id=organization_id
    )


@strawberry.type
class Mutation:
    create_shot_type = SHOT_TYPES.create(None, ShotTypeCreate, _create)
    update_shot_type = SHOT_TYPES.update("Change the given fields of a shot type.", ShotTypeUpdate, _update)
    delete_shot_type = SHOT_TYPES.delete("Soft-delete a shot type (superusers can restore it).")
    restore_shot_type = SHOT_TYPES.restore("Restore a soft-deleted shot type (superusers only).")
