"""Media URLs without a second round trip: a loader that already knows a row's image joins the media table and
hands the storage key along, so the URL field answers at once (a plain value, no coroutine); rows loaded without
the key fall back to the media loader."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from operator import attrgetter
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from db.models import MediaResource as MediaRow
from graph.context import Info
from graph.media.loaders import MediaResourceByIdLoader
from graph.media.types import MediaResource


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
        media = aliased(MediaRow)
        statement = statement.outerjoin(media, media.id == media_id).add_columns(media.storage_key.label(label))
    return statement


async def load_media(info: Info, media_id: uuid.UUID | None) -> MediaResource | None:
    """The media resource behind an id, through the request's loader."""
    if media_id is None:
        return None
    return MediaResource.maybe(await info.context.loaders.get(MediaResourceByIdLoader).load(media_id))


async def _loaded_url(info: Info, media_id: uuid.UUID | None) -> str | None:
    media = await load_media(info, media_id)
    return media.url(info) if media is not None else None


def media_urls(key_attribute: str, media_id_attribute: str) -> Callable[[list[Any], Info], list[Any]]:
    """The whole-level form (graph/execution/levels.py) of a URL field that `media_url` answers from two of the
    object's attributes: ~900 URLs on a nested guidelines page."""
    read = attrgetter(key_attribute, media_id_attribute)

    def level(objects: list[Any], info: Info) -> list[Any]:
        return [media_url(info, *read(each)) for each in objects]

    return level


def media_url(info: Info, key: Any, media_id: uuid.UUID | None) -> str | Awaitable[str | None] | None:
    """A URL field's answer: at once when the row came with its storage key (`join_media_keys`), else an
    awaitable through the media loader (graphql-core awaits what a resolver returns)."""
    if key is not UNKNOWN:
        return url_of(info, key)
    return _loaded_url(info, media_id)
