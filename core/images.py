"""Inspect an untrusted image file: accept only JPEG, PNG, WEBP and GIF, refuse pixel bombs and broken files,
and describe what a `MediaResource` records (size, orientation, dominant colour, colour profile, type).

Synchronous on purpose: decoding is CPU work, so async callers run it with `asyncio.to_thread`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageCms, UnidentifiedImageError

Orientation = Literal["landscape", "portrait", "square"]

# Pillow format name -> (file extension, MIME type). Nothing else is ever accepted.
_ACCEPTED: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
# Pillow reports JPEGs carrying several pictures (phone "multi picture" files) as MPO; they are valid JPEG files
# whose first picture is what every viewer shows, so they are recorded as JPEG.
_FORMAT_ALIASES = {"MPO": "JPEG"}

_MODE_PROFILES = {
    "1": "Gray",
    "L": "Gray",
    "LA": "Gray",
    "La": "Gray",
    "I": "Gray",
    "I;16": "Gray",
    "I;16B": "Gray",
    "I;16L": "Gray",
    "CMYK": "CMYK",
    "LAB": "Lab",
}

# Side of the thumbnail the dominant colour is computed on: enough to find the main colour, cheap to quantize
# (Pillow's median cut holds the GIL, for a time growing faster than the pixel count: at 64 it cost about 1 ms
# of a ZIP job's ~16 ms per photo, and stalled the job's other threads meanwhile).
_THUMBNAIL_SIDE = 32
# Side of the pixel grid sampled from a large image before the thumbnail is made (see `_sampled`).
_SAMPLE_SIDE = 4 * _THUMBNAIL_SIDE
_PALETTE_SIZE = 8
# Longest colour-profile description kept; ICC descriptions are free text chosen by whoever made the file.
_MAX_PROFILE_NAME = 200

_BOMB_SIZE = re.compile(r"\((\d+) pixels\)")


class InvalidImageError(ValueError):
    """The file is not an image we accept; `message` is meant for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    aspect_ratio: float
    orientation: Orientation
    dominant_color: str
    color_profile: str
    format: str
    extension: str
    mime_type: str


def accepted_formats() -> tuple[str, ...]:
    """Pillow names of the formats `inspect_image` accepts."""
    return tuple(_ACCEPTED)


def inspect_image(path: Path, *, max_pixels: int) -> ImageInfo:
    """Verify the image at `path` completely and describe it, or raise `InvalidImageError`.

    The format comes from the file's content, never from its name.
    """
    with path.open("rb") as fp:
        image_format, width, height = _identify(fp, max_pixels=max_pixels)
        fp.seek(0)
        with _open(fp, image_format) as image:
            try:
                # verify() checks what the header and checksums can tell (PNG CRCs, chunk layout) without
                # decoding; it leaves the image unusable, hence the second open below.
                image.verify()
            except Exception as exc:
                raise _corrupt() from exc
        fp.seek(0)
        with _open(fp, image_format) as image:
            try:
                # A truncated JPEG opens and verifies fine; only decoding every pixel finds the missing end.
                image.load()
            except Exception as exc:
                # Pillow's decoders raise many unrelated exception types (OSError, SyntaxError, ValueError,
                # struct.error, ...) on hostile input; all of them mean the same thing to the sender.
                raise _corrupt() from exc
            color_profile = _color_profile(image)
            dominant_color = _dominant_color(image)

    extension, mime_type = _ACCEPTED[image_format]
    return ImageInfo(
        width=width,
        height=height,
        aspect_ratio=round(width / height, 4),
        orientation=_orientation(width, height),
        dominant_color=dominant_color,
        color_profile=color_profile,
        format=image_format,
        extension=extension,
        mime_type=mime_type,
    )


def image_pixels(path: Path, *, max_pixels: int) -> int:
    """The pixel count from the header alone (cheap: nothing is decoded), refusing what `inspect_image` would
    refuse before decoding. Callers reserve that much decoding memory first (core/decode_budget.py)."""
    with path.open("rb") as fp:
        _, width, height = _identify(fp, max_pixels=max_pixels)
    return width * height


def _identify(fp: io.BufferedReader, *, max_pixels: int) -> tuple[str, int, int]:
    """Read only the header: the format and the size, refusing other formats and pixel bombs before decoding."""
    try:
        # Pillow's own guard still applies here (it raises above twice Image.MAX_IMAGE_PIXELS); ours below is
        # the one that enforces the configured limit.
        with Image.open(fp) as image:
            pillow_format = image.format or ""
            width, height = image.size
    except Image.DecompressionBombError as exc:
        found = _BOMB_SIZE.search(str(exc))
        pixels = found.group(1) if found else "too many"
        raise InvalidImageError(f"image has too many pixels ({pixels} > {max_pixels})") from exc
    except UnidentifiedImageError as exc:
        # Pillow cannot tell "no image" from "our format, but its header is broken"; the signature can.
        fp.seek(0)
        if _has_accepted_signature(fp.read(12)):
            raise _corrupt() from exc
        raise InvalidImageError("not an image") from exc
    except Exception as exc:
        # A header a plugin recognised but could not parse.
        raise _corrupt() from exc

    image_format = _FORMAT_ALIASES.get(pillow_format, pillow_format)
    if image_format not in _ACCEPTED:
        raise InvalidImageError(f"unsupported image format: {pillow_format or 'unknown'}")
    if width <= 0 or height <= 0:
        raise _corrupt()
    if width * height > max_pixels:
        raise InvalidImageError(f"image has too many pixels ({width}x{height} = {width * height} > {max_pixels})")
    return image_format, width, height


def _has_accepted_signature(head: bytes) -> bool:
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    )


def _open(fp: io.BufferedReader, image_format: str) -> Image.Image:
    # Reopening restricted to the identified format: a file cannot be read by another plugin the second time.
    formats = [image_format, *(alias for alias, target in _FORMAT_ALIASES.items() if target == image_format)]
    try:
        return Image.open(fp, formats=formats)
    except Exception as exc:
        raise _corrupt() from exc


def _corrupt() -> InvalidImageError:
    return InvalidImageError("image is truncated or corrupt")


def _orientation(width: int, height: int) -> Orientation:
    if width > height:
        return "landscape"
    if height > width:
        return "portrait"
    return "square"


def _dominant_color(image: Image.Image) -> str:
    """The most common colour of an 8-colour palette of a small thumbnail, ignoring transparent pixels.

    A small `image` is shrunk in place: it is ours and thrown away afterwards, and a copy would only cost.
    """
    thumbnail = _sampled(image)
    thumbnail.thumbnail((_THUMBNAIL_SIDE, _THUMBNAIL_SIDE))
    if thumbnail.mode.startswith("I"):
        # 16-bit grey: converting straight to 8 bits clips everything above 255 to white, so scale first.
        thumbnail = thumbnail.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    rgba = thumbnail.convert("RGBA")
    # Fully or mostly transparent pixels have an arbitrary stored colour that nobody sees.
    mask: Image.Image | None = rgba.getchannel("A").point(lambda alpha: 255 if alpha >= 128 else 0)
    if mask is not None and mask.getbbox() is None:
        mask = None
    palette_image = rgba.convert("RGB").quantize(colors=_PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    counts = palette_image.histogram(mask=mask)
    index = max(range(len(counts)), key=counts.__getitem__)
    palette = palette_image.getpalette() or []
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def _sampled(image: Image.Image) -> Image.Image:
    """A grid of the image's pixels, `_SAMPLE_SIDE` on its longer side (the image itself when smaller).

    Averaging every pixel of a photograph down to a thumbnail cost as much as a fifth of its decoding; a regular
    sample, averaged down by the thumbnail in turn, finds the same main colour for a fraction of that.
    """
    width, height = image.size
    scale = max(width, height) / _SAMPLE_SIDE
    if scale <= 1:
        return image
    size = (max(1, round(width / scale)), max(1, round(height / scale)))
    return image.resize(size, Image.Resampling.NEAREST)


def _color_profile(image: Image.Image) -> str:
    """The embedded ICC profile's description, else the colour space the pixel mode implies."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = ImageCms.getProfileDescription(profile)
        except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
            # A broken profile does not make the pixels unusable; fall back to the mode's colour space.
            description = ""
        # Stored as text in PostgreSQL, which refuses NUL characters.
        description = description.replace("\x00", "").strip()[:_MAX_PROFILE_NAME]
        if description:
            return description
    return _MODE_PROFILES.get(image.mode, "sRGB")
