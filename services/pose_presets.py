"""Pose presets: a pose (prompt and image) for one shot type."""

from __future__ import annotations

from db.models import PosePreset, ShotType
from services.owned import Image, OwnedWrites, Reference

WHAT = "Pose preset"

POSE_PRESET_WRITES = OwnedWrites(
    PosePreset,
    WHAT,
    images=(Image("pose_image", "pose_image_media_id", "input.poseImage"),),
    references=(Reference("shot_type_id", ShotType, "input.shotTypeId", "shot type"),),
)
