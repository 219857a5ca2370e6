"""Content-addressed file storage: the interface every backend offers, and the `/media` endpoint that serves it.

Keys are relative paths:
    <namespace>/<sha[:2]>/<sha>.<ext>     committed files (`commit`); other pipelines name theirs (services/lora.py)

A file's name is the SHA-256 of its bytes, so the same content is stored once and a committed file never
changes: it can be cached forever and replaced by nothing but itself. Files are received into a temp folder on
the process's own disk (`tmp_dir`), hashed and inspected there, then committed to the backend: a local folder
(core/storage_local.py) or an S3-compatible bucket (core/storage_s3.py), chosen by STORAGE_URL
(core/storage_backends.py).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import mimetypes
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

MEDIA_NAMESPACE = "media"
# Reads and writes in pieces this big: large enough for few system calls, small enough to never matter in memory.
CHUNK_SIZE = 1 << 16

_MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
_CACHE_FOREVER = "public, max-age=31536000, immutable"

_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_EXTENSION = re.compile(r"[a-z0-9]{1,16}")
# The only shape commit() produces; URLs and the endpoint accept nothing else.
_CONTENT_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}/([0-9a-f]{2})/\1[0-9a-f]{62}\.[a-z0-9]{1,16}")


@functools.lru_cache(maxsize=4096)
def _media_url(key: str, public_base_url: str) -> str:
    # Cached: a page answers hundreds of URLs, often for the same few images, and checking each key is most of it.
    if not _CONTENT_KEY.fullmatch(key) or not key.startswith(f"{MEDIA_NAMESPACE}/"):
        raise ValueError(f"not a servable media key: {key!r}")
    return public_base_url.rstrip("/") + "/media/" + key.removeprefix(f"{MEDIA_NAMESPACE}/")


class StorageError(Exception):
    """Base of the storage errors; `message` is meant for the person who sent the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLargeError(StorageError):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"file is too large (the limit is {format_size(max_bytes)})")
        self.max_bytes = max_bytes


class UnsafeKeyError(StorageError, ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"invalid storage key: {key!r}")
        self.key = key


class AsyncReadable(Protocol):
    """What Starlette's `UploadFile` offers (and Strawberry's `Upload` is)."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A received file waiting in the storage's temp folder to be inspected, then committed or discarded."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        # Harmless after a commit: the temp name is gone by then.
        self.path.unlink(missing_ok=True)


def format_size(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


async def iter_chunks(reader: AsyncReadable, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Adapt an upload (anything with `async read(n)`) to what `Storage.stage` consumes."""
    while chunk := await reader.read(chunk_size):
        yield chunk


class _TempWriter:
    """Writes one temp file while hashing and counting, enforcing the size limit on the way."""

    def __init__(self, tmp_dir: Path, max_bytes: int | None) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._size = 0
        self._max_bytes = max_bytes

    def write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._max_bytes is not None and self._size > self._max_bytes:
            raise TooLargeError(self._max_bytes)
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        self._file.close()
        return StagedFile(path=self.path, sha256=self._hash.hexdigest(), size=self._size)

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class Storage(ABC):
    """The storage interface: files are received into a local temp folder (hashed on the way, inspected there),
    then committed to a backend that keeps them (core/storage_local.py, core/storage_s3.py).

    Everything that touches the backend is async. Readers that need a real file (ZIP seeks, LoRA headers) ask
    `local_copy`; nothing outside a backend knows where or how it keeps its files.
    """

    def __init__(self, tmp_dir: Path) -> None:
        # Received files wait here: on the process's own disk, whatever the backend.
        self.tmp_dir = tmp_dir.resolve()

    # --- receiving -------------------------------------------------------------------------------------------

    async def stage(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StagedFile:
        """Stream `chunks` into a temp file, hashing as it goes; past `max_bytes` nothing is left behind.

        Any error from `chunks` (a failed download, a cancelled request) also removes the temp file.
        """
        writer = await asyncio.to_thread(_TempWriter, self.tmp_dir, max_bytes)
        try:
            async for chunk in chunks:
                # Disk writes off the event loop; hashing rides along in the same thread hop.
                await asyncio.to_thread(writer.write, chunk)
            return await asyncio.to_thread(writer.finish)
        except BaseException:
            writer.abort()
            raise
        finally:
            # Stop the producer early too (an HTTP download keeps its connection open otherwise).
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    def stage_reader(self, reader: BinaryIO, *, max_bytes: int | None = None) -> StagedFile:
        """Synchronous `stage` for blocking readers (a ZIP entry in a worker thread, in-memory bytes)."""
        writer = _TempWriter(self.tmp_dir, max_bytes)
        try:
            while chunk := reader.read(CHUNK_SIZE):
                writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def stage_bytes(self, data: bytes, *, max_bytes: int | None = None) -> StagedFile:
        """Stage small in-memory content (a decoded `data:` URI) the same way as a stream."""
        return self.stage_reader(io.BytesIO(data), max_bytes=max_bytes)

    async def commit(self, staged: StagedFile, *, extension: str, namespace: str = MEDIA_NAMESPACE) -> str:
        """Store a staged file at its content address and answer its storage key; the staged copy is consumed.

        When that content is already stored, the stored file stays (it can only be the same bytes).
        """
        self._check_staged(staged)
        key = content_key(staged.sha256, extension, namespace)
        if await self.exists(key):
            await asyncio.to_thread(staged.discard)
            return key
        await self.put(staged, key)
        return key

    async def store_bytes(
        self,
        data: bytes,
        *,
        extension: str,
        namespace: str = MEDIA_NAMESPACE,
        max_bytes: int | None = None,
    ) -> str:
        """Stage and commit small in-memory content in one step; answers the storage key."""
        staged = await asyncio.to_thread(self.stage_bytes, data, max_bytes=max_bytes)
        try:
            return await self.commit(staged, extension=extension, namespace=namespace)
        finally:
            await asyncio.to_thread(staged.discard)

    def _check_staged(self, staged: StagedFile) -> None:
        if staged.path.parent != self.tmp_dir:
            # Only files this storage received are committed: never an arbitrary path on the machine.
            raise ValueError("the staged file does not belong to this storage")

    # --- the backend -----------------------------------------------------------------------------------------

    @abstractmethod
    async def put(self, staged: StagedFile, key: str) -> None:
        """Store a staged file under `key` (replacing what is there), consuming the staged copy. Readers see no
        file or the whole file, never a part of it."""

    @abstractmethod
    async def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`; an unsafe key names nothing, so it is False."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove a stored file; deleting a missing one is fine.

        Content is shared: every record whose content is identical has the same key, so only delete a key no
        record uses any more.
        """

    @abstractmethod
    async def move(self, source: str, target: str) -> None:
        """Store the file at `source` under `target` instead (replacing what is there)."""

    @abstractmethod
    def local_copy(self, key: str) -> AbstractAsyncContextManager[Path]:
        """`async with storage.local_copy(key) as path:` a local file holding the stored bytes, for readers that
        need one (seeks, libraries that open paths); read it only, and only inside the block, after which any
        copy made for it is gone. FileNotFoundError when nothing is stored under `key`."""

    @abstractmethod
    async def list_keys(self, folder: str) -> list[str]:
        """Every key stored under `folder` (a key prefix ending at a `/`), in no particular order."""

    @abstractmethod
    async def remove_empty_folder(self, folder: str) -> None:
        """Forget `folder` once it holds nothing (a disk keeps empty folders; a bucket has none)."""

    @abstractmethod
    async def media_response(
        self, key: str, *, head: bool, media_type: str, headers: dict[str, str]
    ) -> Response | None:
        """The HTTP answer serving a stored file (`headers` added), streamed without holding it in memory; None
        when nothing is stored under `key`."""

    # --- URLs ------------------------------------------------------------------------------------------------

    def url_for(self, key: str, public_base_url: str = "") -> str:
        """The URL `/media` serves a media key at: site-relative, or absolute under `public_base_url`."""
        return _media_url(key, public_base_url)

    def key_from_url(self, url: str, public_base_url: str = "") -> str | None:
        """The media key behind one of our own media URLs (relative, or absolute under our base), else None."""
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            return None
        if parts.scheme or parts.netloc:
            if not public_base_url:
                return None
            base = urlsplit(public_base_url)
            if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
                return None
            prefix = base.path.rstrip("/") + "/media/"
        else:
            prefix = "/media/"
        if not parts.path.startswith(prefix):
            return None
        key = f"{MEDIA_NAMESPACE}/" + parts.path.removeprefix(prefix)
        return key if _CONTENT_KEY.fullmatch(key) else None


def check_key(key: str) -> str:
    """`key` when it is a safe relative key (no `..`, empty or absolute parts, backslashes, NULs), else
    UnsafeKeyError: a key never reaches outside the storage, on disk or in a bucket."""
    if not key or "\x00" in key or "\\" in key or key.startswith("/"):
        raise UnsafeKeyError(key)
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise UnsafeKeyError(key)
    return key


def content_key(sha256: str, extension: str, namespace: str = MEDIA_NAMESPACE) -> str:
    """The storage key content with this hash and extension is committed under."""
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"invalid file extension: {extension!r}")
    if not _NAMESPACE.fullmatch(namespace):
        raise ValueError(f"invalid storage namespace: {namespace!r}")
    return f"{namespace}/{sha256[:2]}/{sha256}.{extension}"


def media_type_for(key: str) -> str:
    extension = key.rpartition(".")[2].lower()
    if extension in _MEDIA_TYPES:
        return _MEDIA_TYPES[extension]
    guessed, _ = mimetypes.guess_type(f"file.{extension}")
    return guessed or "application/octet-stream"


def media_route(storage: Storage) -> Route:
    """`GET /media/{key}`: committed media files, streamed from the storage and cached forever (names are hashes).

    Streamed through the API on every backend (not redirected to the bucket): the URLs stay the same, a CDN in
    front (PUBLIC_BASE_URL) caches them, and no bucket address or signature ever reaches a client."""

    async def serve_media(request: Request) -> Response:
        key = f"{MEDIA_NAMESPACE}/" + request.path_params["key"]
        if not _CONTENT_KEY.fullmatch(key):
            return PlainTextResponse("not found", status_code=404)
        response = await storage.media_response(
            key,
            head=request.method == "HEAD",
            media_type=media_type_for(key),
            headers={"Cache-Control": _CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
        )
        return response if response is not None else PlainTextResponse("not found", status_code=404)

    return Route("/media/{key:path}", serve_media, methods=["GET", "HEAD"])
