"""Fixtures for the core media tests: image files made with Pillow, a storage folder, a local HTTPS server."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.storage_local import LocalStorage
from tests.remote_images import HttpsServer, serve_https


def image_bytes(
    format: str,
    *,
    size: tuple[int, int] = (40, 30),
    mode: str = "RGB",
    color: Any = (200, 30, 40),
    **save_options: Any,
) -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, color).save(buffer, format=format, **save_options)
    return buffer.getvalue()


MakeImage = Callable[..., Path]


@pytest.fixture
def make_image(tmp_path: Path) -> MakeImage:
    """Writes an image made by Pillow under a name of the test's choosing (the name is not trusted)."""

    def make(name: str, format: str, **options: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(image_bytes(format, **options))
        return path

    return make


def png_claiming_size(width: int, height: int) -> bytes:
    """A well-formed PNG header announcing `width` x `height` with almost no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsServer]:
    with serve_https(tmp_path_factory.mktemp("tls")) as server:
        yield server
