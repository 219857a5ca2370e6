"""Media URLs without a second round trip: a loader that already knows a row's image joins the media table and
hands the storage key along, so the URL field answers at once (a plain value, no coroutine); rows loaded without
the key fall back to the media loader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from db.models import MediaResource
from graph.context import Info


class _Unknown:
    """The key was not loaded with the row (unlike None: the row has no image)."""


UNKNOWN: Any = _Unknown()


def key_of(row: Any, label: str) -> Any:
    return getattr(row, label, UNKNOWN)


def url_of(info: Info, key: str | None) -> str | None:
    if key is None:
        return None
    resources = info.context.resources
    return resources.storage.url_for(key, resources.settings.public_base_url)


def join_media_keys(statement: Select[Any], columns: Mapping[str, Any]) -> Select[Any]:
    """`statement` plus, for each label -> media id column, that media's storage key (outer join)."""
    for label, media_id in columns.items():
        media = aliased(MediaResource)
        statement = statement.outerjoin(media, media.id == media_id).add_columns(media.storage_key.label(label))
    return statement
