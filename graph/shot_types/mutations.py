from __future__ import annotations

import strawberry

from graph.crud import owned_create, owned_update
from graph.shot_types.inputs import ShotTypeCreate, ShotTypeUpdate
from graph.shot_types.queries import SHOT_TYPES
from services.shot_types import SHOT_TYPE_WRITES


@strawberry.type
class Mutation:
    create_shot_type = SHOT_TYPES.create(None, ShotTypeCreate, owned_create(SHOT_TYPE_WRITES))
    update_shot_type = SHOT_TYPES.update(
        "Change the given fields of a shot type.", ShotTypeUpdate, owned_update(SHOT_TYPE_WRITES)
    )
    delete_shot_type = SHOT_TYPES.delete("Soft-delete a shot type (superusers can restore it).")
    restore_shot_type = SHOT_TYPES.restore("Restore a soft-deleted shot type (superusers only).")
