"""Resolution presets: a named output size (width x height in pixels)."""

from __future__ import annotations

from db.models import ResolutionPreset
from services.owned import OwnedWrites

WHAT = "Resolution preset"

RESOLUTION_PRESET_WRITES = OwnedWrites(ResolutionPreset, WHAT)
