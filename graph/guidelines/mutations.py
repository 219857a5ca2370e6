from __future__ import annotations

import uuid

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.crud import Write
from graph.guidelines.inputs import ShootingGuidelinesCreate, ShootingGuidelinesUpdate
from graph.guidelines.queries import GUIDELINES
from services.guidelines import create_guidelines, update_guidelines


async def _create(write: Write, input: ShootingGuidelinesCreate, organization_id: uuid.UUID | None) -> GuidelinesRow:
    return await create_guidelines(
        write.session,
        write.caller,
        columns=input.columns(),
        links=input.links(),
        owner_id=input.owner_id,
        organization_id=organization_id,
    )


async def _update(
    write: Write, id: uuid.UUID, input: ShootingGuidelinesUpdate, organization_id: uuid.UUID | None
) -> GuidelinesRow:
    return await update_guidelines(
        write.session,
        write.caller,
        id,
        changes=input.changes(),
        links=input.links(),
        organization_id=organization_id,
    )


@strawberry.type
class Mutation:
    create_guidelines = GUIDELINES.create(
        "Create guidelines with their links and rule groups, all or nothing.", ShootingGuidelinesCreate, _create
    )
    update_guidelines = GUIDELINES.update(
        "Change the given fields of guidelines; a given list replaces the stored one.",
        ShootingGuidelinesUpdate,
        _update,
    )
    delete_guidelines = GUIDELINES.delete("Soft-delete guidelines (superusers can restore them).")
    restore_guidelines = GUIDELINES.restore("Restore soft-deleted guidelines (superusers only).")
