from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import StyleDataImage
from graph.loaders import GroupedRowsLoader


class LoadedStyleDataImage(NamedTuple):
    style_id: uuid.UUID
    media_id: uuid.UUID
    position: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class StyleDataImagesByStyleIdLoader(GroupedRowsLoader[LoadedStyleDataImage]):
    """Each style's data images in the order they were given."""

    model = StyleDataImage
    group_key = "style_id"
    order = ("position", "created_at", "id")
