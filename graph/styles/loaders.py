from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import StyleDataImage
from graph.loaders import SessionLoader, any_key, group_by


class StyleDataImagesByStyleIdLoader(SessionLoader[uuid.UUID, list[StyleDataImage]]):
    """Each style's data images in the order they were given."""

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[StyleDataImage]]:
        rows = await self.fetch_all(
            select(StyleDataImage)
            .where(any_key(StyleDataImage.style_id, keys))
            .order_by(StyleDataImage.position, StyleDataImage.created_at, StyleDataImage.id)
        )
        return group_by(rows, "style_id", keys)
