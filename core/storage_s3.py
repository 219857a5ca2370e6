"""The storage backend on an S3-compatible bucket (AWS, MinIO, Ceph, R2, ...), shared by every API process and
worker, on any machine.

The client is obstore (Rust's object_store underneath): async without threads, streams both ways (an upload is
read from the staged file and sent as a multipart upload in parts, a download arrives in pieces), signs with the
standard AWS credentials, and carries no botocore. docs/design.md, "Storage", says why it was chosen.

Nothing stays on local disk longer than a request or a job needs it: a staged file is deleted once uploaded, and a
`local_copy` is deleted at the end of its block.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import obstore
from obstore.store import S3Store
from starlette.responses import Response, StreamingResponse

from core.storage import StagedFile, Storage, UnsafeKeyError, check_key
from core.storage_location import BucketLocation

if TYPE_CHECKING:
    from obstore import ObjectMeta
    from obstore.store import S3Config

# Pieces a download is handed over in: small enough that many concurrent /media streams stay cheap in memory, big
# enough for few hops between Rust and Python. (obstore's default, 10 MB, would hold 10 MB per stream.)
DOWNLOAD_CHUNK_SIZE = 256 * 1024
# Parts of a multipart upload (S3's minimum is 5 MB), and how many go up at once: at most their product is held in
# memory per upload, whatever the file's size.
UPLOAD_PART_SIZE = 8 * 1024 * 1024
UPLOAD_CONCURRENCY = 4
REQUEST_TIMEOUT_SECONDS = 60 * 60
STALLED_AFTER_SECONDS = 120
CONNECT_TIMEOUT_SECONDS = 10


class S3Storage(Storage):
    def __init__(self, store: S3Store, tmp_dir: Path) -> None:
        super().__init__(tmp_dir)
        self._store = store

    @classmethod
    def connect(
        cls,
        location: BucketLocation,
        *,
        tmp_dir: Path,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        session_token: str | None,
    ) -> S3Storage:
        """A client for the bucket (no request is made yet: the first one checks the credentials)."""
        config: S3Config = {"region": region}
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
            if session_token:
                config["session_token"] = session_token
        store = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            config=config,
            # A plain-HTTP endpoint is a local store (MinIO on the same network, moto in the tests): allowed only
            # when the operator wrote http:// themselves.
            client_options={
                "allow_http": bool(endpoint_url and endpoint_url.startswith("http://")),
                # obstore's default caps a whole request at 30 s, body included: a 1 GB download to a worker, or a
                # /media stream to a slow client, would be cut off. Instead: a request may take as long as a job
                # may run, and fails when the store sends nothing for a while (a stalled connection).
                "timeout": timedelta(seconds=REQUEST_TIMEOUT_SECONDS),
                "read_timeout": timedelta(seconds=STALLED_AFTER_SECONDS),
                "connect_timeout": timedelta(seconds=CONNECT_TIMEOUT_SECONDS),
            },
        )
        return cls(store, tmp_dir)

    async def put(self, staged: StagedFile, key: str) -> None:
        self._check_staged(staged)
        check_key(key)
        try:
            # From the file itself: obstore reads it in parts and sends a multipart upload past one part, so the
            # memory it takes does not grow with the file. S3 shows the object only once it is complete.
            await obstore.put_async(
                self._store,
                key,
                staged.path,
                chunk_size=UPLOAD_PART_SIZE,
                max_concurrency=UPLOAD_CONCURRENCY,
            )
        finally:
            await asyncio.to_thread(staged.discard)

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, check_key(key))
        except UnsafeKeyError:
            return False
        except FileNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> None:
        try:
            await obstore.delete_async(self._store, check_key(key))
        except FileNotFoundError:  # some stores answer 404 rather than S3's 204
            return

    async def move(self, source: str, target: str) -> None:
        # A server-side copy, then the source deleted: the bytes never come through this process.
        await obstore.rename_async(self._store, check_key(source), check_key(target))

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        result = await obstore.get_async(self._store, check_key(key))
        file, path = await asyncio.to_thread(_temp_file, self.tmp_dir)
        try:
            try:
                async for chunk in result.stream(min_chunk_size=DOWNLOAD_CHUNK_SIZE):
                    await asyncio.to_thread(file.write, chunk)
            finally:
                await asyncio.to_thread(file.close)
            yield path
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def list_keys(self, folder: str) -> list[str]:
        prefix = check_key(folder).rstrip("/") + "/"
        keys: list[str] = []
        async for batch in obstore.list(self._store, prefix=prefix):
            keys.extend(meta["path"] for meta in batch)
        return keys

    async def remove_empty_folder(self, folder: str) -> None:
        check_key(folder)  # a bucket has no folders: a prefix exists only as long as keys start with it

    async def media_response(
        self, key: str, *, head: bool, media_type: str, headers: dict[str, str]
    ) -> Response | None:
        try:
            if head:
                meta = await obstore.head_async(self._store, key)
                return Response(status_code=200, media_type=media_type, headers={**headers, **_object_headers(meta)})
            result = await obstore.get_async(self._store, key)
        except FileNotFoundError:
            return None
        return StreamingResponse(
            result.stream(min_chunk_size=DOWNLOAD_CHUNK_SIZE),
            media_type=media_type,
            headers={**headers, **_object_headers(result.meta)},
        )


def _object_headers(meta: ObjectMeta) -> dict[str, str]:
    """What a file on disk is served with (Starlette's FileResponse), from the object's metadata."""
    headers = {
        "Content-Length": str(meta["size"]),
        "Last-Modified": format_datetime(meta["last_modified"], usegmt=True),
    }
    if meta["e_tag"]:
        headers["ETag"] = meta["e_tag"]
    return headers


def _temp_file(tmp_dir: Path) -> tuple[BinaryIO, Path]:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".copy")
    return os.fdopen(fd, "wb"), Path(name)
