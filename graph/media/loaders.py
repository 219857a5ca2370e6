from __future__ import annotations

from db.models import MediaResource
from graph.loaders import RowByIdLoader


class MediaResourceByIdLoader(RowByIdLoader[MediaResource]):
    model = MediaResource
