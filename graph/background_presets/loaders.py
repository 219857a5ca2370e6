from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import BackgroundPreset, BackgroundPresetFraming
from graph.loaders import RowByIdLoader, SessionLoader, group_by


class BackgroundPresetByIdLoader(RowByIdLoader[BackgroundPreset]):
    """For objects that point at a preset (set designs, guidelines); they check visibility (`can_read`)."""

    model = BackgroundPreset


class BackgroundPresetFramingsByPresetIdLoader(SessionLoader[uuid.UUID, list[BackgroundPresetFraming]]):
    """Each preset's framings in the order they were given."""

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[BackgroundPresetFraming]]:
        rows = await self.fetch_all(
            select(BackgroundPresetFraming)
            .where(BackgroundPresetFraming.preset_id.in_(keys))
            .order_by(BackgroundPresetFraming.position, BackgroundPresetFraming.created_at, BackgroundPresetFraming.id)
        )
        return group_by(rows, "preset_id", keys)
