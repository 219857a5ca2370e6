"""Image inspection on real files written by Pillow (and a few hand-made broken ones)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from core.images import ImageInfo, InvalidImageError, inspect_image

from .conftest import MakeImage, png_claiming_size

MAX_PIXELS = 1_000_000


def inspect(path: Path, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    return inspect_image(path, max_pixels=max_pixels)


def refusal(path: Path, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(InvalidImageError) as refused:
        inspect(path, max_pixels)
    return refused.value.message


@pytest.mark.parametrize(
    ("format", "size", "extension", "mime_type", "orientation", "aspect_ratio"),
    [
        ("JPEG", (300, 200), "jpg", "image/jpeg", "landscape", 1.5),
        ("PNG", (100, 300), "png", "image/png", "portrait", 0.3333),
        ("WEBP", (64, 64), "webp", "image/webp", "square", 1.0),
        ("GIF", (70, 30), "gif", "image/gif", "landscape", 2.3333),
    ],
)
def test_accepted_formats_are_described(
    make_image: MakeImage,
    format: str,
    size: tuple[int, int],
    extension: str,
    mime_type: str,
    orientation: str,
    aspect_ratio: float,
) -> None:
    info = inspect(make_image("upload", format, size=size))

    assert (info.width, info.height) == size
    assert info.aspect_ratio == aspect_ratio
    assert info.orientation == orientation
    assert (info.format, info.extension, info.mime_type) == (format, extension, mime_type)
    assert info.color_profile == "sRGB"


def test_the_content_decides_the_format_not_the_name(make_image: MakeImage) -> None:
    info = inspect(make_image("holiday.jpg", "PNG"))

    assert (info.format, info.extension, info.mime_type) == ("PNG", "png", "image/png")


@pytest.mark.parametrize(("format", "options"), [("PNG", {}), ("WEBP", {"lossless": True}), ("GIF", {})])
def test_dominant_color_of_a_solid_image(make_image: MakeImage, format: str, options: dict[str, object]) -> None:
    info = inspect(make_image("solid", format, size=(90, 60), color=(30, 144, 255), **options))

    assert info.dominant_color == "#1e90ff"


def test_dominant_color_of_a_solid_jpeg_is_close(make_image: MakeImage) -> None:
    info = inspect(make_image("solid.jpg", "JPEG", color=(200, 30, 40), quality=95))

    red, green, blue = (int(info.dominant_color[i : i + 2], 16) for i in (1, 3, 5))
    assert abs(red - 200) <= 3 and abs(green - 30) <= 3 and abs(blue - 40) <= 3


def test_dominant_color_is_the_majority_colour(tmp_path: Path) -> None:
    image = Image.new("RGB", (100, 100), (255, 255, 255))
    image.paste((0, 100, 0), (0, 0, 100, 70))  # 70 % green, 30 % white
    path = tmp_path / "two-colours.png"
    image.save(path)

    assert inspect(path).dominant_color == "#006400"


def test_dominant_color_ignores_transparent_pixels(tmp_path: Path) -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 255, 0))  # invisible blue everywhere
    image.paste((255, 0, 0, 255), (0, 0, 30, 30))  # 9 % visible red
    path = tmp_path / "cut-out.png"
    image.save(path)

    assert inspect(path).dominant_color == "#ff0000"


def test_embedded_icc_profile_gives_its_description(make_image: MakeImage) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    expected = ImageCms.getProfileDescription(profile).strip()

    for format in ("PNG", "JPEG"):
        info = inspect(make_image(f"with-profile.{format}", format, icc_profile=profile.tobytes()))
        assert info.color_profile == expected == "sRGB built-in"


def test_a_broken_icc_profile_falls_back_to_the_mode(make_image: MakeImage) -> None:
    info = inspect(make_image("bad-profile.png", "PNG", icc_profile=b"not a profile at all"))

    assert info.color_profile == "sRGB"


def test_grayscale(make_image: MakeImage) -> None:
    info = inspect(make_image("gray.png", "PNG", mode="L", color=128))

    assert (info.color_profile, info.dominant_color) == ("Gray", "#808080")


def test_sixteen_bit_grayscale_is_not_clipped_to_white(make_image: MakeImage) -> None:
    info = inspect(make_image("gray16.png", "PNG", mode="I;16", color=0x4000))

    assert (info.color_profile, info.dominant_color) == ("Gray", "#404040")


def test_cmyk_jpeg(make_image: MakeImage) -> None:
    info = inspect(make_image("print.jpg", "JPEG", mode="CMYK", color=(0, 0, 0, 0), quality=95))

    assert (info.format, info.color_profile) == ("JPEG", "CMYK")
    assert info.dominant_color == "#ffffff"  # no ink is white paper


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    noise = Image.effect_noise((400, 300), 60).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=90)
    whole = buffer.getvalue()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])

    # It opens fine (the header is intact): only decoding the pixels shows the missing half.
    with Image.open(path) as opened:
        assert opened.size == (400, 300)
    assert refusal(path) == "image is truncated or corrupt"


def test_truncated_png_is_refused(make_image: MakeImage) -> None:
    path = make_image("cut.png", "PNG", size=(200, 200))
    path.write_bytes(path.read_bytes()[:-30])

    assert refusal(path) == "image is truncated or corrupt"


def test_damaged_png_checksum_is_refused(make_image: MakeImage) -> None:
    path = make_image("damaged.png", "PNG", size=(50, 50))
    data = bytearray(path.read_bytes())
    data[data.index(b"IDAT") + 8] ^= 0xFF  # a byte of pixel data: the chunk's CRC no longer matches
    path.write_bytes(bytes(data))

    assert refusal(path) == "image is truncated or corrupt"


@pytest.mark.parametrize(
    "head", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x10\x00\x00\x00WEBPVP8 "]
)
def test_an_accepted_signature_with_a_broken_header_is_corrupt(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "broken"
    path.write_bytes(head + b"\x00\x01garbage" * 8)

    assert refusal(path) == "image is truncated or corrupt"


@pytest.mark.parametrize("content", [b"hello, this is text\n", b"", b"%PDF-1.7\n"])
def test_non_images_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)

    assert refusal(path) == "not an image"


@pytest.mark.parametrize("format", ["BMP", "TIFF"])
def test_other_image_formats_are_refused_by_name(make_image: MakeImage, format: str) -> None:
    assert refusal(make_image("photo.png", format)) == f"unsupported image format: {format}"


def test_pixel_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    # 100000 x 100000 claimed, with no real pixel data: decoding would fail as corrupt, so this message proves
    # the size was checked first. It is also far past Pillow's own guard.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming_size(100_000, 100_000))

    assert refusal(path) == f"image has too many pixels (10000000000 > {MAX_PIXELS})"


def test_pixel_limit_is_ours_not_pillows(tmp_path: Path) -> None:
    # Below Pillow's guard (about 179 million pixels), above our limit.
    path = tmp_path / "big.png"
    path.write_bytes(png_claiming_size(2000, 1000))

    assert refusal(path) == f"image has too many pixels (2000x1000 = 2000000 > {MAX_PIXELS})"


def test_an_image_at_the_limit_is_accepted(make_image: MakeImage) -> None:
    path = make_image("edge.png", "PNG", size=(100, 50))

    assert inspect(path, max_pixels=5000).width == 100
    assert refusal(path, max_pixels=4999) == "image has too many pixels (100x50 = 5000 > 4999)"
