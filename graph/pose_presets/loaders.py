from __future__ import annotations

from db.models import ShotType
from graph.loaders import RowByIdLoader


# Lives here until graph/shot_types grows a loaders module; any domain that points at shot types may use it.
class ShotTypeByIdLoader(RowByIdLoader[ShotType]):
    model = ShotType
