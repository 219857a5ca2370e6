from __future__ import annotations

import strawberry

from graph.crud import owned_create, owned_update
from graph.pose_presets.inputs import PosePresetCreate, PosePresetUpdate
from graph.pose_presets.queries import POSE_PRESETS
from services.pose_presets import POSE_PRESET_WRITES


@strawberry.type
class Mutation:
    create_pose_preset = POSE_PRESETS.create(None, PosePresetCreate, owned_create(POSE_PRESET_WRITES))
    update_pose_preset = POSE_PRESETS.update(
        "Change the given fields of a pose preset.", PosePresetUpdate, owned_update(POSE_PRESET_WRITES)
    )
    delete_pose_preset = POSE_PRESETS.delete("Soft-delete a pose preset (superusers can restore it).")
    restore_pose_preset = POSE_PRESETS.restore("Restore a soft-deleted pose preset (superusers only).")
