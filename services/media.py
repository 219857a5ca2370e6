"""The one ingestion path for every image argument (docs/design.md, "Untrusted input").

An image arrives as an upload, a `data:` URI, an https URL, our own media URL, or the id of an earlier upload.
Bytes are staged while hashed, inspected (only JPEG/PNG/WEBP/GIF, pixel limit, full decode), stored once per
content, and recorded as a `MediaResource` of the caller (the same content twice from one caller is one row).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fetch import FetchError, fetch_image_url
from core.images import ImageInfo, InvalidImageError, image_pixels, inspect_image
from core.storage import StagedFile, TooLargeError, content_key, format_size
from db.models import MediaResource
from db.models.enums import MediaResourceType
from services.caller import Caller
from services.errors import BadUserInputError, NotFoundError, PayloadTooLargeError
from services.media_gc import lock_storage_keys
from services.resources import Resources

_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,(?P<data>.*)$", re.DOTALL)


@dataclass(frozen=True)
class MediaSource:
    """What a `MediaInput` names: `url` (https, data: URI, our media URL) or `media_resource_id`."""

    url: str | None = None
    media_resource_id: uuid.UUID | None = None
    alt_text: str | None = None
    caption: str | None = None
    protected: bool = False


class MediaService:
    def __init__(self, session: AsyncSession, resources: Resources, caller: Caller | None) -> None:
        self.session = session
        self.resources = resources
        self.caller = caller
        self.settings = resources.settings
        self.storage = resources.storage

    # --- entry points ----------------------------------------------------------------------------------------

    async def from_source(self, source: MediaSource, *, field: str) -> MediaResource:
        """Resolve one image argument; `field` names it in BAD_USER_INPUT errors (e.g. `input.coverImage`)."""
        if source.media_resource_id is not None:
            media = await self._by_id(source.media_resource_id)
        elif source.url:
            media = await self._from_url(source.url.strip(), field=field)
        else:
            raise BadUserInputError({field: "give either url or mediaResourceId"})
        self._apply_descriptions(media, source)
        return media

    async def from_upload(self, chunks: AsyncIterator[bytes], *, field: str = "file") -> MediaResource:
        max_bytes = self.settings.media_max_bytes
        try:
            staged = await self.storage.stage(chunks, max_bytes=max_bytes)
        except TooLargeError as exc:
            raise PayloadTooLargeError(f"The file is larger than {format_size(max_bytes)}") from exc
        return await self.from_staged(staged, field=field)

    async def from_staged(self, staged: StagedFile, *, field: str, info: ImageInfo | None = None) -> MediaResource:
        """Inspect, store and record a staged file (the staged copy is always consumed). `info`: what
        `inspect_image` answered for this very file, when the caller inspected it already."""
        if info is None:
            try:
                info = await self._inspect(staged)
            except BaseException as exc:
                staged.discard()
                if isinstance(exc, InvalidImageError):
                    raise BadUserInputError({field: exc.message}) from exc
                raise
        (media,) = await self.from_inspected([(staged, info)])
        return media

    async def _inspect(self, staged: StagedFile) -> ImageInfo:
        """Decode in a thread, within the process's decoding budget (core/decode_budget.py)."""
        max_pixels = self.settings.image_max_pixels
        pixels = await asyncio.to_thread(image_pixels, staged.path, max_pixels=max_pixels)
        return await self.resources.decode_budget.decode(pixels, inspect_image, staged.path, max_pixels=max_pixels)

    async def from_inspected(self, files: Sequence[tuple[StagedFile, ImageInfo]]) -> list[MediaResource]:
        """Store and record staged files that `inspect_image` accepted (each with its answer), in order; the
        staged copies are always consumed. One statement locks every content, one looks the caller's rows up
        and one inserts the missing ones, however many files there are (a ZIP job records a batch at once)."""
        if not files:
            return []
        try:
            keys = [content_key(staged.sha256, info.extension) for staged, info in files]
            # Held until this transaction ends, so a concurrent release of the same content (media_gc) cannot
            # delete a file between its commit here and the commit of the row that names it.
            await lock_storage_keys(self.session, keys)
            # Side by side: on a bucket each commit is a round trip or an upload. Every one is awaited before
            # the first failure is raised, so no upload is still reading a staged file when it is discarded.
            commits = (self.storage.commit(staged, extension=info.extension) for staged, info in files)
            results = await asyncio.gather(*commits, return_exceptions=True)
            failures = [result for result in results if isinstance(result, BaseException)]
            if failures:
                raise failures[0]
        finally:
            for staged, _ in files:
                staged.discard()
        return await self._record(keys, files)

    def url_of(self, media: MediaResource) -> str:
        return self.storage.url_for(media.storage_key, self.settings.public_base_url)

    # --- sources ---------------------------------------------------------------------------------------------

    async def _by_id(self, media_id: uuid.UUID) -> MediaResource:
        media = await self.session.get(MediaResource, media_id)
        # Another user's upload is private until they reference it somewhere; its id alone grants nothing.
        if media is None or not self._may_use(media):
            raise NotFoundError("Media resource")
        return media

    async def _from_url(self, url: str, *, field: str) -> MediaResource:
        own_key = self.storage.key_from_url(url, self.settings.public_base_url)
        if own_key is not None:
            return await self._by_storage_key(own_key, field=field)
        if url.startswith("data:"):
            return await self._from_data_uri(url, field=field)
        if url.lower().startswith("https://"):
            return await self._from_remote(url, field=field)
        raise BadUserInputError({field: "must be an https URL, a data: URI (base64) or the URL of an upload"})

    async def _by_storage_key(self, key: str, *, field: str) -> MediaResource:
        # Our media URLs are public (content-addressed), so whoever holds one may reference it; the caller's own
        # record is preferred, else the content gets a record of the caller's.
        rows = (await self.session.scalars(select(MediaResource).where(MediaResource.storage_key == key))).all()
        if not rows:
            raise BadUserInputError({field: "no uploaded file has this URL"})
        own = next((row for row in rows if self.caller is not None and row.owner_id == self.caller.id), None)
        if own is not None:
            return own
        return await self._copy_record(rows[0])

    async def _from_data_uri(self, uri: str, *, field: str) -> MediaResource:
        match = _DATA_URI.match(uri)
        if match is None:
            raise BadUserInputError({field: "data: URIs must be base64-encoded (data:<type>;base64,<data>)"})
        encoded = match.group("data")
        max_bytes = self.settings.media_max_bytes
        # Refuse before decoding: base64 is 4 characters per 3 bytes.
        if len(encoded) > (max_bytes // 3 + 1) * 4 + 4:
            raise PayloadTooLargeError(f"The image is larger than {format_size(max_bytes)}")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadUserInputError({field: "the data: URI is not valid base64"}) from exc
        staged = await asyncio.to_thread(self.storage.stage_bytes, data, max_bytes=max_bytes)
        return await self.from_staged(staged, field=field)

    async def _from_remote(self, url: str, *, field: str) -> MediaResource:
        settings = self.settings
        chunks = fetch_image_url(
            url,
            max_bytes=settings.media_max_bytes,
            timeout=settings.fetch_timeout_seconds,
            allow_private=settings.fetch_allow_private_networks,
            ca_bundle=settings.fetch_ca_bundle,
        )
        try:
            staged = await self.storage.stage(chunks, max_bytes=settings.media_max_bytes)
        except TooLargeError as exc:
            raise PayloadTooLargeError(f"The image is larger than {format_size(settings.media_max_bytes)}") from exc
        except FetchError as exc:
            raise BadUserInputError({field: f"could not fetch the image: {exc}"}) from exc
        return await self.from_staged(staged, field=field)

    # --- records ---------------------------------------------------------------------------------------------

    def _may_use(self, media: MediaResource) -> bool:
        if self.caller is None:
            return media.owner_id is None
        return self.caller.is_superuser or media.owner_id in (None, self.caller.id)

    async def _record(self, keys: list[str], files: Sequence[tuple[StagedFile, ImageInfo]]) -> list[MediaResource]:
        """The caller's row for each key (its oldest one when there are several), made when missing; the same
        content twice in `files` is one row."""
        owner_id = self.caller.id if self.caller is not None else None
        rows: dict[str, MediaResource] = {}
        existing = await self.session.scalars(
            select(MediaResource)
            .where(MediaResource.storage_key.in_(set(keys)), MediaResource.owner_id == owner_id)
            .order_by(MediaResource.created_at)
        )
        for row in existing:
            rows.setdefault(row.storage_key, row)
        new: list[MediaResource] = []
        for key, (staged, info) in zip(keys, files, strict=True):
            if key not in rows:
                rows[key] = self._new_row(owner_id, key, staged, info)
                new.append(rows[key])
        if new:
            self.session.add_all(new)
            # One flush: the ORM sends the rows in one multi-row INSERT.
            await self.session.flush()
        return [rows[key] for key in keys]

    @staticmethod
    def _new_row(owner_id: uuid.UUID | None, key: str, staged: StagedFile, info: ImageInfo) -> MediaResource:
        return MediaResource(
            owner_id=owner_id,
            storage_key=key,
            content_hash=staged.sha256,
            file_size=staged.size,
            extension=info.extension,
            mime_type=info.mime_type,
            resource_type=MediaResourceType.IMAGE,
            width=info.width,
            height=info.height,
            aspect_ratio=info.aspect_ratio,
            orientation=info.orientation,
            dominant_color=info.dominant_color,
            color_profile=info.color_profile,
        )

    async def _copy_record(self, source: MediaResource) -> MediaResource:
        media = MediaResource(
            owner_id=self.caller.id if self.caller is not None else None,
            **{
                column: getattr(source, column)
                for column in (
                    "storage_key", "content_hash", "file_size", "extension", "mime_type", "resource_type",
                    "width", "height", "aspect_ratio", "orientation", "dominant_color", "color_profile", "duration",
                )
            },
        )  # fmt: skip
        self.session.add(media)
        await self.session.flush()
        return media

    @staticmethod
    def _apply_descriptions(media: MediaResource, source: MediaSource) -> None:
        if source.alt_text is not None:
            media.alt_text = source.alt_text
        if source.caption is not None:
            media.caption = source.caption
        if source.protected:
            media.protected = True
