from __future__ import annotations

import strawberry

from graph.crud import owned_create, owned_update
from graph.set_designs.inputs import SetDesignCreate, SetDesignUpdate
from graph.set_designs.queries import SET_DESIGNS
from services.set_designs import SET_DESIGN_WRITES


@strawberry.type
class Mutation:
    create_set_design = SET_DESIGNS.create(None, SetDesignCreate, owned_create(SET_DESIGN_WRITES))
    update_set_design = SET_DESIGNS.update(
        "Change the given fields of a set design; a given nested list replaces the old.",
        SetDesignUpdate,
        owned_update(SET_DESIGN_WRITES),
    )
    delete_set_design = SET_DESIGNS.delete("Soft-delete a set design (superusers can restore it).")
    restore_set_design = SET_DESIGNS.restore("Restore a soft-deleted set design (superusers only).")
