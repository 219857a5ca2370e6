"""Content-addressed storage on both backends (a real temp folder, a bucket on a real S3 server on 127.0.0.1),
and the `/media` endpoint over ASGI. Tests of behaviour both backends share run on each (`storage`); the rest
are about one backend (`local_storage`, `bucket_storage`)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from core.settings import Settings
from core.storage import Storage, TooLargeError, UnsafeKeyError, iter_chunks, media_route
from core.storage_backends import open_storage
from core.storage_local import LocalStorage
from core.storage_s3 import S3Storage
from tests.s3_server import S3Server

from .conftest import image_bytes

PNG = image_bytes("PNG", size=(8, 8), color=(1, 2, 3))
PNG_SHA = hashlib.sha256(PNG).hexdigest()
PNG_KEY = f"media/{PNG_SHA[:2]}/{PNG_SHA}.png"
# Objects in the test buckets go under this prefix, so that the prefix is honoured everywhere.
BUCKET_PREFIX = "studio/files"


@dataclass
class Backend:
    """A storage under test and a way to see everything it keeps, as its operator would (folder or bucket)."""

    storage: Storage
    server: S3Server | None = None
    bucket: str = ""

    def stored(self) -> list[str]:
        """Every stored file's key (temp files apart)."""
        if self.server is None:
            assert isinstance(self.storage, LocalStorage)
            root = self.storage.root
            files = (path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
            return sorted(name for name in files if not name.startswith("tmp/"))
        prefix = BUCKET_PREFIX + "/"
        keys = self.server.keys(self.bucket)
        assert all(key.startswith(prefix) for key in keys), keys
        return [key.removeprefix(prefix) for key in keys]

    def temp_files(self) -> list[Path]:
        folder = self.storage.tmp_dir
        return sorted(folder.iterdir()) if folder.is_dir() else []


def bucket_settings(s3_server: S3Server, bucket: str, data_dir: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        **{name.lower(): value for name, value in s3_server.environment(bucket, BUCKET_PREFIX).items()},
    )


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket()


@pytest.fixture
def bucket_storage(s3_server: S3Server, bucket: str, tmp_path: Path) -> S3Storage:
    storage = open_storage(bucket_settings(s3_server, bucket, tmp_path / "data"))
    assert isinstance(storage, S3Storage)
    return storage


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield Backend(LocalStorage(tmp_path / "storage"))
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        bucket: str = request.getfixturevalue("bucket")
        yield Backend(request.getfixturevalue("bucket_storage"), server, bucket)


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage


async def pieces(data: bytes, size: int = 10, closed: list[bool] | None = None) -> AsyncIterator[bytes]:
    try:
        for start in range(0, len(data), size):
            yield data[start : start + size]
    finally:
        if closed is not None:
            closed.append(True)


async def test_stage_then_commit_stores_the_content_under_its_hash(backend: Backend, storage: Storage) -> None:
    staged = await storage.stage(pieces(PNG), max_bytes=len(PNG))

    assert (staged.sha256, staged.size) == (PNG_SHA, len(PNG))
    assert staged.path.parent == storage.tmp_dir

    key = await storage.commit(staged, extension="png")

    assert key == PNG_KEY
    assert backend.stored() == [PNG_KEY]
    assert backend.temp_files() == []  # the staged copy went up, or became the stored file
    assert await storage.exists(key)
    async with storage.local_copy(key) as path:
        assert path.read_bytes() == PNG


async def test_a_commit_that_keeps_the_staged_copy_stores_it_and_leaves_the_copy_to_its_caller(
    backend: Backend, storage: Storage
) -> None:
    # What the ZIP upload does: store the file before the transaction, commit again inside it under the key's lock.
    staged = await storage.stage(pieces(PNG), max_bytes=len(PNG))

    key = await storage.commit(staged, extension="png", keep_staged=True)

    assert key == PNG_KEY
    assert backend.stored() == [PNG_KEY]
    assert backend.temp_files() == [staged.path]
    assert staged.path.read_bytes() == PNG
    # Stored already: the second commit is a check, which consumes the staged copy.
    assert await storage.commit(staged, extension="png") == PNG_KEY
    assert backend.temp_files() == []
    # Deleted in between (a concurrent release): the commit stores it again from the kept copy.
    kept = await storage.stage(pieces(PNG), max_bytes=len(PNG))
    await storage.commit(kept, extension="png", keep_staged=True)
    await storage.delete(PNG_KEY)
    assert await storage.commit(kept, extension="png") == PNG_KEY
    async with storage.local_copy(PNG_KEY) as path:
        assert path.read_bytes() == PNG
    assert backend.temp_files() == []


def test_committed_media_is_readable_by_other_users(local_storage: LocalStorage) -> None:
    key = asyncio.run(local_storage.store_bytes(PNG, extension="png"))

    # Committed media is readable by a web server running as another user.
    assert local_storage.path_for(key).read_bytes() == PNG
    assert (local_storage.path_for(key).stat().st_mode & 0o777) == 0o644


async def test_the_same_content_twice_is_stored_once(backend: Backend, storage: Storage) -> None:
    first = await storage.commit(await storage.stage(pieces(PNG), max_bytes=10_000), extension="png")
    second = await storage.commit(await storage.stage(pieces(PNG, size=3), max_bytes=10_000), extension="png")
    third = await storage.store_bytes(PNG, extension="png")

    assert first == second == third == PNG_KEY
    assert backend.stored() == [PNG_KEY]
    assert backend.temp_files() == []


async def test_other_namespaces_keep_their_own_folder(backend: Backend, storage: Storage) -> None:
    key = await storage.store_bytes(b"weights", extension="safetensors", namespace="loras")

    sha = hashlib.sha256(b"weights").hexdigest()
    assert key == f"loras/{sha[:2]}/{sha}.safetensors"
    assert backend.stored() == [key]


async def test_going_over_the_limit_mid_stream_leaves_nothing(backend: Backend, storage: Storage) -> None:
    closed: list[bool] = []
    with pytest.raises(TooLargeError) as refused:
        await storage.stage(pieces(b"x" * 100, closed=closed), max_bytes=55)

    assert refused.value.message == "file is too large (the limit is 55 bytes)"
    assert backend.stored() == []
    assert backend.temp_files() == []
    # The producer (an upload, a download) was told to stop rather than left hanging.
    assert closed == [True]


async def test_exactly_the_limit_is_accepted(backend: Backend, storage: Storage) -> None:
    staged = await storage.stage(pieces(b"x" * 100), max_bytes=100)

    assert staged.size == 100
    staged.discard()
    assert backend.stored() == []
    assert backend.temp_files() == []


async def test_a_failing_producer_leaves_nothing(backend: Backend, storage: Storage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"half of it"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await storage.stage(broken(), max_bytes=1000)
    assert backend.stored() == []
    assert backend.temp_files() == []


async def test_a_cancelled_upload_leaves_nothing(backend: Backend, storage: Storage) -> None:
    received = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        yield b"the first part"
        received.set()
        await asyncio.Event().wait()  # the client stops sending; the request is then cancelled
        yield b"never"

    upload = asyncio.create_task(storage.stage(stalled(), max_bytes=1000))
    await received.wait()
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload

    assert backend.stored() == []
    assert backend.temp_files() == []


def test_stage_bytes_enforces_the_limit_too(backend: Backend, storage: Storage) -> None:
    with pytest.raises(TooLargeError) as refused:
        storage.stage_bytes(b"y" * (3 * 1024 * 1024), max_bytes=2 * 1024 * 1024)

    assert refused.value.message == "file is too large (the limit is 2 MB)"
    assert backend.temp_files() == []


async def test_iter_chunks_reads_an_upload(storage: Storage) -> None:
    class Upload:  # the one method Starlette's UploadFile offers that stage needs
        def __init__(self, data: bytes) -> None:
            self._data = data

        async def read(self, size: int = -1) -> bytes:
            chunk, self._data = self._data[:size], self._data[size:]
            return chunk

    staged = await storage.stage(iter_chunks(Upload(PNG), chunk_size=7), max_bytes=10_000)

    assert staged.path.read_bytes() == PNG
    staged.discard()


async def test_commit_refuses_odd_extensions_and_namespaces(backend: Backend, storage: Storage) -> None:
    staged = storage.stage_bytes(PNG)
    for extension in ("", "p/ng", "../png", "PNG", "a" * 17):
        with pytest.raises(ValueError, match="extension"):
            await storage.commit(staged, extension=extension)
    with pytest.raises(ValueError, match="namespace"):
        await storage.commit(staged, extension="png", namespace="../etc")
    staged.discard()
    assert backend.stored() == []


async def test_commit_refuses_a_file_it_did_not_receive(backend: Backend, storage: Storage, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.png"
    elsewhere.write_bytes(PNG)
    staged = storage.stage_bytes(PNG)
    foreign = type(staged)(path=elsewhere, sha256=staged.sha256, size=staged.size)

    with pytest.raises(ValueError, match="does not belong"):
        await storage.commit(foreign, extension="png")
    staged.discard()
    assert backend.stored() == []
    assert elsewhere.read_bytes() == PNG


UNSAFE_KEYS = [
    "",
    "../outside.png",
    "media/../../outside.png",
    "/etc/passwd",
    "media//ab/file.png",
    "media/./ab/file.png",
    "media\\..\\..\\outside.png",
    "media/ab/file.png\x00.txt",
    "..",
    ".",
]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
async def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(UnsafeKeyError):
        await storage.delete(key)
    with pytest.raises(UnsafeKeyError):
        async with storage.local_copy(key):
            pytest.fail("an unsafe key was given a local copy")
    with pytest.raises(UnsafeKeyError):
        await storage.move(PNG_KEY, key)
    with pytest.raises(UnsafeKeyError):
        await storage.list_keys(key)
    assert await storage.exists(key) is False


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_keys_name_no_local_path(local_storage: LocalStorage, key: str) -> None:
    with pytest.raises(UnsafeKeyError):
        local_storage.path_for(key)


async def test_a_symlink_out_of_the_root_is_refused(local_storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    (local_storage.root / "media").mkdir(parents=True)
    os.symlink(outside, local_storage.root / "media" / "ab")

    with pytest.raises(UnsafeKeyError):
        local_storage.path_for("media/ab/secret.png")
    assert await local_storage.exists("media/ab/secret.png") is False


async def test_delete(backend: Backend, storage: Storage) -> None:
    key = await storage.store_bytes(PNG, extension="png")

    await storage.delete(key)
    await storage.delete(key)  # already gone: fine

    assert not await storage.exists(key)
    assert backend.stored() == []


async def test_a_local_copy_holds_the_bytes_and_is_gone_after_its_block(backend: Backend, storage: Storage) -> None:
    key = await storage.store_bytes(PNG, extension="png")

    async with storage.local_copy(key) as path:
        assert path.read_bytes() == PNG
    with pytest.raises(RuntimeError):
        async with storage.local_copy(key) as path:
            raise RuntimeError("the reader failed")

    # The stored file stays; a copy made for the reader (on a bucket) is gone, even after the failure.
    assert backend.stored() == [key]
    assert backend.temp_files() == []
    assert path.exists() is isinstance(storage, LocalStorage)


async def test_a_local_copy_of_nothing_is_file_not_found(backend: Backend, storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        async with storage.local_copy(PNG_KEY):
            pytest.fail("a missing key was given a local copy")
    assert backend.temp_files() == []


async def test_put_move_and_list_a_folder(backend: Backend, storage: Storage) -> None:
    folder = "models/subjects/1234"
    await storage.put(storage.stage_bytes(b"first"), f"{folder}/a.safetensors")
    await storage.put(storage.stage_bytes(b"second"), "lora-staging/subjects/1234/b.safetensors")
    await storage.move("lora-staging/subjects/1234/b.safetensors", f"{folder}/b.safetensors")
    await storage.put(storage.stage_bytes(b"elsewhere"), "models/subjects/12345/c.safetensors")

    assert sorted(await storage.list_keys(folder)) == [f"{folder}/a.safetensors", f"{folder}/b.safetensors"]
    assert await storage.list_keys("models/subjects/none") == []
    async with storage.local_copy(f"{folder}/b.safetensors") as path:
        assert path.read_bytes() == b"second"
    assert not await storage.exists("lora-staging/subjects/1234/b.safetensors")

    await storage.remove_empty_folder(folder)  # still holds files: stays
    assert len(await storage.list_keys(folder)) == 2
    for key in await storage.list_keys(folder):
        await storage.delete(key)
    await storage.remove_empty_folder(folder)
    assert backend.stored() == ["models/subjects/12345/c.safetensors"]
    assert backend.temp_files() == []


def test_media_urls_round_trip(storage: Storage) -> None:
    relative = storage.url_for(PNG_KEY)
    absolute = storage.url_for(PNG_KEY, "https://studio.example.com/")

    assert relative == f"/media/{PNG_SHA[:2]}/{PNG_SHA}.png"
    assert absolute == f"https://studio.example.com/media/{PNG_SHA[:2]}/{PNG_SHA}.png"
    assert storage.key_from_url(relative) == PNG_KEY
    assert storage.key_from_url(absolute, "https://studio.example.com") == PNG_KEY
    # Host names are case-insensitive.
    shouting = absolute.replace("studio.example.com", "Studio.Example.COM")
    assert storage.key_from_url(shouting, "https://studio.example.com") == PNG_KEY
    # Relative URLs stay ours when the API answers absolute ones.
    assert storage.key_from_url(relative, "https://studio.example.com") == PNG_KEY
    # Behind a path prefix.
    prefixed = storage.url_for(PNG_KEY, "https://example.com/studio")
    assert prefixed == f"https://example.com/studio/media/{PNG_SHA[:2]}/{PNG_SHA}.png"
    assert storage.key_from_url(prefixed, "https://example.com/studio") == PNG_KEY


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example.com/media/{short}/{sha}.png",  # not our host
        "https://studio.example.com/media/{short}/{sha}.png",  # ours only when a base is configured
        "/media/{short}/{sha}.png?download=1",
        "/media/../tmp/{sha}.part",
        "/media/%2e%2e/{short}/{sha}.png",
        "/media/{short}/not-a-hash.png",
        "/media/00/{sha}.png",  # folder does not match the hash
        "/uploads/{short}/{sha}.png",
        "data:image/png;base64,AAAA",
        "",
    ],
)
def test_foreign_or_malformed_urls_are_not_ours(storage: Storage, url: str) -> None:
    assert storage.key_from_url(url.format(short=PNG_SHA[:2], sha=PNG_SHA)) is None


def test_url_for_refuses_keys_that_are_not_served(storage: Storage) -> None:
    with pytest.raises(ValueError):
        storage.url_for(f"loras/{PNG_SHA[:2]}/{PNG_SHA}.safetensors")
    with pytest.raises(ValueError):
        storage.url_for("media/../secret")


async def media_client(storage: Storage) -> httpx.AsyncClient:
    app = Starlette(routes=[media_route(storage)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_media_route_serves_stored_files(storage: Storage) -> None:
    key = await storage.store_bytes(PNG, extension="png")
    jpeg = image_bytes("JPEG")
    jpeg_key = await storage.store_bytes(jpeg, extension="jpg")

    async with await media_client(storage) as client:
        response = await client.get(storage.url_for(key))
        jpeg_response = await client.get(storage.url_for(jpeg_key))
        head = await client.head(storage.url_for(key))

    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(PNG))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] and response.headers["last-modified"]
    assert jpeg_response.headers["content-type"] == "image/jpeg"
    assert jpeg_response.content == jpeg
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(PNG))
    assert head.headers["content-type"] == "image/png"
    assert head.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_bucket_is_served_with_the_headers_a_folder_is(
    local_storage: LocalStorage, bucket_storage: S3Storage
) -> None:
    answers = []
    for storage in (local_storage, bucket_storage):
        key = await storage.store_bytes(PNG, extension="png")
        async with await media_client(storage) as client:
            answers.append((await client.get(storage.url_for(key)), await client.head(storage.url_for(key))))
    (on_disk, on_disk_head), (in_bucket, in_bucket_head) = answers

    # Range requests are the folder's extra (its file response offers them); the bucket streams whole files.
    ignored = {"accept-ranges", "etag", "last-modified"}
    for disk, bucket in ((on_disk, in_bucket), (on_disk_head, in_bucket_head)):
        assert {name: value for name, value in bucket.headers.items() if name not in ignored} == {
            name: value for name, value in disk.headers.items() if name not in ignored
        }
        assert (bucket.status_code, bucket.content) == (disk.status_code, disk.content)
    # Each names its own version of the file (S3's ETag, the file's mtime): both are there.
    assert {"etag", "last-modified"} <= set(in_bucket.headers) & set(on_disk.headers)


async def test_media_route_answers_404_for_unknown_and_unsafe_keys(storage: Storage) -> None:
    await storage.store_bytes(PNG, extension="png")
    staged = storage.stage_bytes(b"in progress")  # never served, even though it exists
    unknown_sha = "f" * 64

    async with await media_client(storage) as client:
        for path in (
            f"/media/ff/{unknown_sha}.png",
            f"/media/..%2ftmp%2f{staged.path.name}",
            f"/media/../tmp/{staged.path.name}",
            "/media/..%2f..%2fetc%2fpasswd",
            "/media/",
            f"/media/{PNG_SHA[:2]}/{PNG_SHA}.jpg",  # right hash, wrong extension
        ):
            for method in ("GET", "HEAD"):
                response = await client.request(method, path)
                assert response.status_code == 404, (method, path)
                assert response.content in (b"not found", b"Not Found", b""), path
    staged.discard()


async def test_stale_temp_files_are_swept_and_fresh_ones_kept(backend: Backend, storage: Storage) -> None:
    key = await storage.store_bytes(PNG, extension="png")
    abandoned = storage.stage_bytes(b"an upload whose process was killed")
    in_progress = storage.stage_bytes(b"an upload still arriving")
    six_hours_ago = time.time() - 6 * 60 * 60 - 1
    os.utime(abandoned.path, (six_hours_ago, six_hours_ago))

    assert await storage.remove_stale_temp_files() == 1

    assert backend.temp_files() == [in_progress.path]
    assert backend.stored() == [key]
    in_progress.discard()
