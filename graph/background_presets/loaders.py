from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from db.models import BackgroundPreset, BackgroundPresetFraming
from graph.loaders import GroupedRowsLoader, RowByIdLoader, columns, in_batch


class BackgroundPresetByIdLoader(RowByIdLoader[BackgroundPreset]):
    """For objects that point at a preset (set designs, guidelines); they check visibility (`can_read`)."""

    model = BackgroundPreset


class BackgroundPresetFramingsByPresetIdLoader(GroupedRowsLoader[BackgroundPresetFraming]):
    """Each preset's framings in the order they were given."""

    group_key = "preset_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            select(*columns(BackgroundPresetFraming))
            .where(in_batch(BackgroundPresetFraming.preset_id))
            .order_by(BackgroundPresetFraming.position, BackgroundPresetFraming.created_at, BackgroundPresetFraming.id)
        )
