"""Content-addressed storage on a real temp folder, and the `/media` endpoint over ASGI."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from core.storage import Storage, TooLargeError, UnsafeKeyError, iter_chunks, media_route

from .conftest import image_bytes

PNG = image_bytes("PNG", size=(8, 8), color=(1, 2, 3))
PNG_SHA = hashlib.sha256(PNG).hexdigest()
PNG_KEY = f"media/{PNG_SHA[:2]}/{PNG_SHA}.png"


async def pieces(data: bytes, size: int = 10, closed: list[bool] | None = None) -> AsyncIterator[bytes]:
    try:
        for start in range(0, len(data), size):
            yield data[start : start + size]
    finally:
        if closed is not None:
            closed.append(True)


def stored_files(storage: Storage) -> list[Path]:
    return sorted(path for path in storage.root.rglob("*") if path.is_file())


async def test_stage_then_commit_stores_the_content_under_its_hash(storage: Storage) -> None:
    staged = await storage.stage(pieces(PNG), max_bytes=len(PNG))

    assert (staged.sha256, staged.size) == (PNG_SHA, len(PNG))
    assert staged.path.parent == storage.tmp_dir

    key = storage.commit(staged, extension="png")

    assert key == PNG_KEY
    assert storage.path_for(key).read_bytes() == PNG
    assert stored_files(storage) == [storage.root / PNG_KEY]
    assert storage.exists(key)
    # Committed media is readable by a web server running as another user.
    assert (storage.path_for(key).stat().st_mode & 0o777) == 0o644


async def test_the_same_content_twice_is_stored_once(storage: Storage) -> None:
    first = storage.commit(await storage.stage(pieces(PNG), max_bytes=10_000), extension="png")
    second = storage.commit(await storage.stage(pieces(PNG, size=3), max_bytes=10_000), extension="png")
    third = storage.store_bytes(PNG, extension="png")

    assert first == second == third == PNG_KEY
    assert stored_files(storage) == [storage.root / PNG_KEY]


async def test_other_namespaces_keep_their_own_folder(storage: Storage) -> None:
    key = storage.store_bytes(b"weights", extension="safetensors", namespace="loras")

    sha = hashlib.sha256(b"weights").hexdigest()
    assert key == f"loras/{sha[:2]}/{sha}.safetensors"
    assert storage.path_for(key).read_bytes() == b"weights"


async def test_going_over_the_limit_mid_stream_leaves_nothing(storage: Storage) -> None:
    closed: list[bool] = []
    with pytest.raises(TooLargeError) as refused:
        await storage.stage(pieces(b"x" * 100, closed=closed), max_bytes=55)

    assert refused.value.message == "file is too large (the limit is 55 bytes)"
    assert stored_files(storage) == []
    # The producer (an upload, a download) was told to stop rather than left hanging.
    assert closed == [True]


async def test_exactly_the_limit_is_accepted(storage: Storage) -> None:
    staged = await storage.stage(pieces(b"x" * 100), max_bytes=100)

    assert staged.size == 100
    staged.discard()
    assert stored_files(storage) == []


async def test_a_failing_producer_leaves_nothing(storage: Storage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"half of it"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await storage.stage(broken(), max_bytes=1000)
    assert stored_files(storage) == []


def test_stage_bytes_enforces_the_limit_too(storage: Storage) -> None:
    with pytest.raises(TooLargeError) as refused:
        storage.stage_bytes(b"y" * (3 * 1024 * 1024), max_bytes=2 * 1024 * 1024)

    assert refused.value.message == "file is too large (the limit is 2 MB)"
    assert stored_files(storage) == []


async def test_iter_chunks_reads_an_upload(storage: Storage, tmp_path: Path) -> None:
    class Upload:  # the one method Starlette's UploadFile offers that stage needs
        def __init__(self, data: bytes) -> None:
            self._data = data

        async def read(self, size: int = -1) -> bytes:
            chunk, self._data = self._data[:size], self._data[size:]
            return chunk

    staged = await storage.stage(iter_chunks(Upload(PNG), chunk_size=7), max_bytes=10_000)

    assert staged.path.read_bytes() == PNG
    staged.discard()


def test_commit_refuses_odd_extensions_and_namespaces(storage: Storage) -> None:
    staged = storage.stage_bytes(PNG)
    for extension in ("", "p/ng", "../png", "PNG", "a" * 17):
        with pytest.raises(ValueError, match="extension"):
            storage.commit(staged, extension=extension)
    with pytest.raises(ValueError, match="namespace"):
        storage.commit(staged, extension="png", namespace="../etc")
    staged.discard()
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    "key",
    [
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
    ],
)
def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(UnsafeKeyError):
        storage.path_for(key)
    with pytest.raises(UnsafeKeyError):
        storage.delete(key)
    assert storage.exists(key) is False


def test_a_symlink_out_of_the_root_is_refused(storage: Storage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    (storage.root / "media").mkdir(parents=True)
    os.symlink(outside, storage.root / "media" / "ab")

    with pytest.raises(UnsafeKeyError):
        storage.path_for("media/ab/secret.png")
    assert storage.exists("media/ab/secret.png") is False


def test_delete(storage: Storage) -> None:
    key = storage.store_bytes(PNG, extension="png")

    storage.delete(key)
    storage.delete(key)  # already gone: fine

    assert not storage.exists(key)
    assert stored_files(storage) == []


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
    key = storage.store_bytes(PNG, extension="png")
    jpeg = image_bytes("JPEG")
    jpeg_key = storage.store_bytes(jpeg, extension="jpg")

    async with await media_client(storage) as client:
        response = await client.get(storage.url_for(key))
        jpeg_response = await client.get(storage.url_for(jpeg_key))
        head = await client.head(storage.url_for(key))

    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert jpeg_response.headers["content-type"] == "image/jpeg"
    assert jpeg_response.content == jpeg
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(PNG))


async def test_media_route_answers_404_for_unknown_and_unsafe_keys(storage: Storage) -> None:
    storage.store_bytes(PNG, extension="png")
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
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.content in (b"not found", b"Not Found"), path
    staged.discard()
