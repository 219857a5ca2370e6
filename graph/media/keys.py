"""Stored media as fields: the media resource an object names by id, its URL, and the media a parent links to.

Media URLs without a second round trip: a loader that already knows a row's image joins the media table and
hands the storage key along, so the URL field answers at once (a plain value, no coroutine); rows loaded without
the key (an object made from an ORM entity, e.g. by a mutation) carry `NOT_LOADED` and fall back to the media
loader. Each field here is a relation (graph/relations.py): `relation(media_of("image_media_id"), ...)`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence
from itertools import islice
from operator import attrgetter
from typing import Final, Protocol, TypeAlias, TypeVar

from graph.context import Info
from graph.loaders import SessionLoader, load_each
from graph.media.loaders import MediaResourceByIdLoader
from graph.media.types import MediaResource, storage_url
from graph.relations import Identified


class NotLoaded(enum.Enum):
    """A value that was not loaded with the row (unlike None, which says the row has none): look it up."""

    NOT_LOADED = "not loaded"


NOT_LOADED: Final = NotLoaded.NOT_LOADED

# An image's storage key as an object holds it: the key, None when the row has no image, or NOT_LOADED.
MediaKey: TypeAlias = str | NotLoaded | None


class MediaLink(Protocol):
    """A row that links its parent to one stored file (a subject's data image, a style's data image)."""

    @property
    def media_id(self) -> uuid.UUID: ...


MediaLinkT = TypeVar("MediaLinkT", bound=MediaLink)


def joined_key(row: object, label: str) -> str | None:
    """The storage key graph/loaders.join_media_keys added to a loaded row under `label`."""
    key: str | None = getattr(row, label)
    return key


def url_of(info: Info, key: str | None) -> str | None:
    return storage_url(info, key) if key is not None else None


async def load_media(info: Info, media_id: uuid.UUID | None) -> MediaResource | None:
    """The media resource behind an id, through the request's loader."""
    if media_id is None:
        return None
    return MediaResource.maybe(await info.context.loaders.get(MediaResourceByIdLoader).load(media_id))


async def _media_by_ids(info: Info, media_ids: Sequence[uuid.UUID | None]) -> list[MediaResource | None]:
    rows = await load_each(info.context.loaders.get(MediaResourceByIdLoader), media_ids)
    return [MediaResource.maybe(row) for row in rows]


def media_of(media_id_attribute: str) -> Callable[[Sequence[object], Info], Awaitable[list[MediaResource | None]]]:
    """The level form of a field answering the media resource named by the object's `media_id_attribute`."""
    read_id = attrgetter(media_id_attribute)

    async def level(objects: Sequence[object], info: Info) -> list[MediaResource | None]:
        return await _media_by_ids(info, [read_id(each) for each in objects])

    return level


def loaded_media_urls(media_id_attribute: str) -> Callable[[Sequence[object], Info], Awaitable[list[str | None]]]:
    """The level form of a URL field of objects loaded without storage keys: the URL of the media resource named
    by `media_id_attribute`, looked up."""
    read_id = attrgetter(media_id_attribute)

    async def level(objects: Sequence[object], info: Info) -> list[str | None]:
        return await loaded_urls(info, [read_id(each) for each in objects])

    return level


async def loaded_urls(info: Info, media_ids: Sequence[uuid.UUID | None]) -> list[str | None]:
    """The URL of each media resource named (None for a None id or a missing resource), looked up together."""
    return [media.url(info) if media is not None else None for media in await _media_by_ids(info, media_ids)]


def media_urls(
    key_attribute: str, media_id_attribute: str
) -> Callable[[Sequence[object], Info], list[str | Awaitable[str | None] | None]]:
    """The level form of a URL field that `media_url` answers from two of the object's attributes: ~900 URLs on a
    nested guidelines page, most of them at once."""
    read = attrgetter(key_attribute, media_id_attribute)

    def level(objects: Sequence[object], info: Info) -> list[str | Awaitable[str | None] | None]:
        return [media_url(info, *read(each)) for each in objects]

    return level


def media_url(info: Info, key: MediaKey, media_id: uuid.UUID | None) -> str | Awaitable[str | None] | None:
    """A URL field's answer: at once when the row came with its storage key (graph/loaders.join_media_keys), else
    an awaitable through the media loader (graphql-core awaits what a resolver returns)."""
    if key is not NOT_LOADED:
        return url_of(info, key)
    return _loaded_url(info, media_id)


async def _loaded_url(info: Info, media_id: uuid.UUID | None) -> str | None:
    media = await load_media(info, media_id)
    return media.url(info) if media is not None else None


def linked_media(
    links_loader: type[SessionLoader[uuid.UUID, list[MediaLinkT]]],
) -> Callable[[Sequence[Identified], Info], Awaitable[list[list[MediaResource]]]]:
    """The level form of a field answering the media resources of the parent's links (`links_loader`, keyed by
    the parent's id), in the links' order; a link whose file is gone is left out."""

    async def level(parents: Sequence[Identified], info: Info) -> list[list[MediaResource]]:
        link_lists = await info.context.loaders.get(links_loader).load_many([parent.id for parent in parents])
        media_loader = info.context.loaders.get(MediaResourceByIdLoader)
        rows = iter(await media_loader.load_many([link.media_id for links in link_lists for link in links]))
        return [[MediaResource.of(row) for row in islice(rows, len(links)) if row is not None] for links in link_lists]

    return level


def linked_media_urls(
    links_loader: type[SessionLoader[uuid.UUID, list[MediaLinkT]]],
) -> Callable[[Sequence[Identified], Info], Awaitable[list[list[str]]]]:
    """`linked_media`'s URLs."""
    media_lists = linked_media(links_loader)

    async def level(parents: Sequence[Identified], info: Info) -> list[list[str]]:
        return [[media.url(info) for media in listed] for listed in await media_lists(parents, info)]

    return level
