"""Images made by the tests themselves (no fixtures on disk), as bytes or data: URIs."""

from __future__ import annotations

import base64
import io

from PIL import Image


def image_bytes(
    width: int = 40, height: int = 30, color: tuple[int, int, int] = (200, 30, 30), image_format: str = "PNG"
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, image_format)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_uri(**kwargs: object) -> str:
    return data_uri(image_bytes(**kwargs))  # type: ignore[arg-type]
