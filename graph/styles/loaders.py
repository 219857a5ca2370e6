from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from db.models import StyleDataImage
from graph.loaders import GroupedRowsLoader, columns, in_batch


class StyleDataImagesByStyleIdLoader(GroupedRowsLoader[StyleDataImage]):
    """Each style's data images in the order they were given."""

    group_key = "style_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            select(*columns(StyleDataImage))
            .where(in_batch(StyleDataImage.style_id))
            .order_by(StyleDataImage.position, StyleDataImage.created_at, StyleDataImage.id)
        )
