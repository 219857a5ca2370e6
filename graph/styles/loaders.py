from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from db.models import StyleDataImage
from graph.loaders import AnySelect, GroupedRowsLoader, columns, in_batch


class LoadedStyleDataImage(NamedTuple):
    style_id: uuid.UUID
    media_id: uuid.UUID
    position: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class StyleDataImagesByStyleIdLoader(GroupedRowsLoader[LoadedStyleDataImage]):
    """Each style's data images in the order they were given."""

    row_type = LoadedStyleDataImage
    group_key = "style_id"

    @classmethod
    def statement(cls) -> AnySelect:
        return (
            select(*columns(StyleDataImage))
            .where(in_batch(StyleDataImage.style_id))
            .order_by(StyleDataImage.position, StyleDataImage.created_at, StyleDataImage.id)
        )
