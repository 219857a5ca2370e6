from __future__ import annotations

import strawberry

from graph.crud import owned_create, owned_update
from graph.guidelines.inputs import ShootingGuidelinesCreate, ShootingGuidelinesUpdate
from graph.guidelines.queries import GUIDELINES
from services.guidelines import GUIDELINES_WRITES


@strawberry.type
class Mutation:
    create_guidelines = GUIDELINES.create(
        "Create guidelines with their links and rule groups, all or nothing.",
        ShootingGuidelinesCreate,
        owned_create(GUIDELINES_WRITES),
    )
    update_guidelines = GUIDELINES.update(
        "Change the given fields of guidelines; a given list replaces the stored one.",
        ShootingGuidelinesUpdate,
        owned_update(GUIDELINES_WRITES),
    )
    delete_guidelines = GUIDELINES.delete("Soft-delete guidelines (superusers can restore them).")
    restore_guidelines = GUIDELINES.restore("Restore soft-deleted guidelines (superusers only).")
