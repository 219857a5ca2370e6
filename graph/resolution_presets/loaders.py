from __future__ import annotations

from db.models import ResolutionPreset
from graph.loaders import RowByIdLoader


class ResolutionPresetByIdLoader(RowByIdLoader[ResolutionPreset]):
    """For objects that point at a preset (guidelines); they check visibility (`can_read`) themselves."""

    model = ResolutionPreset
