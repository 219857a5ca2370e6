from __future__ import annotations

import uuid

import strawberry

from db.models import SetDesign as SetDesignRow
from graph.crud import Write
from graph.set_designs.inputs import SetDesignCreate, SetDesignUpdate
from graph.set_designs.queries import SET_DESIGNS
from services.set_designs import create_set_design, update_set_design


async def _create(write: Write, input: SetDesignCreate, organization_id: uuid.UUID | None) -> SetDesignRow:
    return await create_set_design(
        write.session,
        write.resources,
        write.caller,
        columns=input.columns(),
        parts=input.parts(),
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(
    write: Write, id: uuid.UUID, input: SetDesignUpdate, organization_id: uuid.UUID | None
) -> SetDesignRow:
    return await update_set_design(
        write.session,
        write.resources,
        write.caller,
        id,
        changes=input.changes(),
        parts=input.parts(),
        organization_id=organization_id,
    )


@strawberry.type
class Mutation:
    create_set_design = SET_DESIGNS.create(None, SetDesignCreate, _create)
    update_set_design = SET_DESIGNS.update(
        "Change the given fields of a set design; a given nested list replaces the old.", SetDesignUpdate, _update
    )
    delete_set_design = SET_DESIGNS.delete("Soft-delete a set design (superusers can restore it).")
    restore_set_design = SET_DESIGNS.restore("Restore a soft-deleted set design (superusers only).")
