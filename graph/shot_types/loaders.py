from __future__ import annotations

from db.models import ShotType
from graph.loaders import RowByIdLoader


# Any domain that points at shot types (pose presets, subjects' base images, ...) loads them through this one.
class ShotTypeByIdLoader(RowByIdLoader[ShotType]):
    model = ShotType
