"""Uploads and the one image path: metadata measured from the file, dedup, serving back, bad images."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from PIL import Image, ImageCms

from core.decode_budget import PixelBudget
from services.media_gc import delete_files, release_media
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_bytes

UPLOAD = """mutation($file: Upload!) { uploadMedia(file: $file) {
  id url contentHash fileSize extension resourceType width height aspectRatio orientation dominantColor
  colorProfile } }"""
CSRF = {"Apollo-Require-Preflight": "true"}


async def upload(
    http: httpx.AsyncClient, account: Account, content: bytes, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    return await http.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("photo.bin", content, "application/octet-stream")},
        headers={**account.headers, **(CSRF if headers is None else headers)},
    )


def uploaded(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]["uploadMedia"]


async def test_upload_records_what_the_file_is(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    content = image_bytes(width=300, height=200, color=(10, 120, 240), image_format="JPEG")
    media = uploaded(await upload(http, account, content))
    assert (media["width"], media["height"]) == (300, 200)
    assert media["aspectRatio"] == 1.5
    assert media["orientation"] == "landscape"
    assert media["extension"] == "jpg" and media["resourceType"] == "IMAGE"
    assert media["fileSize"] == len(content)
    assert media["colorProfile"] == "sRGB"
    # JPEG is lossy: the measured colour is within a few levels of the one painted.
    red, green, blue = (int(media["dominantColor"][i : i + 2], 16) for i in (1, 3, 5))
    assert abs(red - 10) <= 6 and abs(green - 120) <= 6 and abs(blue - 240) <= 6
    served = await http.get(media["url"])
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == "image/jpeg"
    assert media["contentHash"] == hashlib.sha256(content).hexdigest()


async def test_portrait_square_and_icc_profile(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    portrait = uploaded(await upload(http, account, image_bytes(width=20, height=50)))
    assert portrait["orientation"] == "portrait"
    square = uploaded(await upload(http, account, image_bytes(width=32, height=32, image_format="WEBP")))
    assert (square["orientation"], square["extension"]) == ("square", "webp")
    buffer = io.BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (10, 10), (0, 255, 0)).save(buffer, "PNG", icc_profile=profile)
    with_icc = uploaded(await upload(http, account, buffer.getvalue()))
    assert (with_icc["colorProfile"] and with_icc["colorProfile"] != "sRGB") or "sRGB" in with_icc["colorProfile"]
    assert with_icc["dominantColor"] == "#00ff00"


async def test_same_content_twice_is_stored_once(http: httpx.AsyncClient, accounts: Accounts) -> None:
    first_user, second_user = await accounts.user(), await accounts.user()
    content = image_bytes(color=(1, 2, 3))
    first = uploaded(await upload(http, first_user, content))
    again = uploaded(await upload(http, first_user, content))
    other = uploaded(await upload(http, second_user, content))
    assert again["id"] == first["id"]
    assert other["id"] != first["id"]
    assert other["url"] == first["url"]  # one file on disk, two owners' records


async def test_bad_images_are_bad_user_input(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    truncated = image_bytes(width=200, height=200, image_format="JPEG")[:400]
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")
    for content, message in (
        (b"just some text", "not an image"),
        (truncated, "image is truncated or corrupt"),
        (bmp.getvalue(), "unsupported image format: BMP"),
    ):
        body = (await upload(http, account, content)).json()
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "fields": {"file": message}}


async def test_uploads_need_a_csrf_header(http: httpx.AsyncClient, accounts: Accounts, settings: Any) -> None:
    account = await accounts.user()
    stored_before = sum(1 for _ in settings.storage_dir.rglob("*") if _.is_file())
    response = await upload(http, account, image_bytes(color=(9, 9, 9)), headers={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert sum(1 for _ in settings.storage_dir.rglob("*") if _.is_file()) == stored_before
    named = await upload(http, account, image_bytes(color=(9, 9, 9)), headers={"X-Apollo-Operation-Name": "Up"})
    assert uploaded(named)["width"] == 40


async def test_too_large_upload_is_refused_and_nothing_is_kept(
    http: httpx.AsyncClient, accounts: Accounts, settings: Any
) -> None:
    account = await accounts.user()
    limit = settings.media_max_bytes
    staged_before = set((settings.storage_dir / "tmp").glob("*"))
    body = (await upload(http, account, b"\0" * (limit + 1))).json()
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # Other tests may leave their own staged files (a killed worker's, say); this upload left none.
    assert set((settings.storage_dir / "tmp").glob("*")) <= staged_before


async def test_media_input_by_url_or_id(gql: GraphQLClient, http: httpx.AsyncClient, accounts: Accounts) -> None:
    owner, stranger = await accounts.user(), await accounts.user()
    media = uploaded(await upload(http, owner, image_bytes(color=(50, 60, 70))))
    create = """mutation($i: ShotTypeCreate!) { createShotType(input: $i) { referenceImage { id url } } }"""

    def shot(image: dict[str, Any]) -> dict[str, Any]:
        return {"i": {"name": f"m-{uuid.uuid4().hex[:6]}", "viewAngle": "FRONT", "framing": "DETAIL",
                      "referenceImageUrl": image}}  # fmt: skip

    by_id = (await gql.data(create, shot({"mediaResourceId": media["id"]}), as_=owner))["createShotType"]
    assert by_id["referenceImage"] == {"id": media["id"], "url": media["url"]}
    by_url = (await gql.data(create, shot({"url": media["url"]}), as_=owner))["createShotType"]
    assert by_url["referenceImage"]["id"] == media["id"]
    # Another user's upload id is not theirs to use; its public URL is.
    hidden = await gql.error(create, shot({"mediaResourceId": media["id"]}), as_=stranger)
    assert error_code(hidden) == "NOT_FOUND"
    via_url = (await gql.data(create, shot({"url": media["url"]}), as_=stranger))["createShotType"]
    assert via_url["referenceImage"]["url"] == media["url"]
    assert via_url["referenceImage"]["id"] != media["id"]
    neither = await gql.error(create, shot({}), as_=owner)
    assert neither["extensions"]["fields"] == {"input.referenceImageUrl": "give exactly one of url or mediaResourceId"}
    not_base64 = await gql.error(create, shot({"url": "data:image/png;base64,%%%"}), as_=owner)
    assert not_base64["extensions"]["fields"] == {"input.referenceImageUrl": "the data: URI is not valid base64"}
    unknown_upload = await gql.error(create, shot({"url": "/media/00/" + "0" * 64 + ".png"}), as_=owner)
    assert unknown_upload["extensions"]["fields"] == {"input.referenceImageUrl": "no uploaded file has this URL"}


async def test_https_urls_are_fetched_and_measured(gql: GraphQLClient, accounts: Accounts, remote_images: Any) -> None:
    owner = await accounts.user()
    create = """mutation($i: ShotTypeCreate!) { createShotType(input: $i) {
      referenceImage { width height dominantColor url } } }"""

    def shot(url: str) -> dict[str, Any]:
        return {"i": {"name": f"r-{uuid.uuid4().hex[:6]}", "viewAngle": "FRONT", "framing": "DETAIL",
                      "referenceImageUrl": {"url": url}}}  # fmt: skip

    fetched = (await gql.data(create, shot(remote_images.url("/image.png")), as_=owner))["createShotType"]
    image = fetched["referenceImage"]
    assert (image["width"], image["height"]) == remote_images.image_size
    assert image["dominantColor"] == "#{:02x}{:02x}{:02x}".format(*remote_images.image_color)
    assert (await gql.http.get(image["url"])).content == remote_images.image
    missing = await gql.error(create, shot(remote_images.url("/nothing-here")), as_=owner)
    assert error_code(missing) == "BAD_USER_INPUT"
    assert missing["extensions"]["fields"]["input.referenceImageUrl"].startswith("could not fetch the image")
    metadata = await gql.error(create, shot(remote_images.url("/redirect-metadata")), as_=owner)
    assert error_code(metadata) == "BAD_USER_INPUT"


async def test_a_released_file_sent_again_before_deletion_is_kept(
    http: httpx.AsyncClient, accounts: Accounts, app: Any
) -> None:
    resources = app.state.resources
    first, second = await accounts.user(), await accounts.user()
    content = image_bytes(color=(77, 1, 99))
    media = uploaded(await upload(http, first, content))
    async with resources.session_factory() as session, session.begin():
        freed = await release_media(session, resources.storage, [uuid.UUID(media["id"])])
    assert len(freed) == 1 and await resources.storage.exists(freed[0])
    # The same content arrives again between the release and the deletion of its file.
    again = uploaded(await upload(http, second, content))
    await delete_files(resources.session_factory, resources.storage, freed)
    assert await resources.storage.exists(freed[0])
    assert (await http.get(again["url"])).content == content
    # With no row left for it, the file goes.
    async with resources.session_factory() as session, session.begin():
        freed_again = await release_media(session, resources.storage, [uuid.UUID(again["id"])])
    await delete_files(resources.session_factory, resources.storage, freed_again)
    assert freed_again == freed and not await resources.storage.exists(freed[0])


async def test_parallel_uploads_share_the_decoding_budget(
    http: httpx.AsyncClient, accounts: Accounts, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four large images sent at once are all accepted, decoded one after the other: never more pixels than
    IMAGE_MAX_PIXELS are decoded at the same time (core/decode_budget.py), so the API's memory stays bounded
    whatever the clients send. (A smaller limit than the default keeps the images quick to make.)"""
    resources = app.state.resources
    max_pixels = 1_000_000
    monkeypatch.setattr(resources.settings, "image_max_pixels", max_pixels)
    budget = PixelBudget(max_pixels)
    monkeypatch.setattr(resources, "decode_budget", budget)
    decoding_together: list[int] = []
    reserve = budget.reserve

    @asynccontextmanager
    async def observed_reserve(pixels: int) -> AsyncIterator[None]:
        async with reserve(pixels):
            decoding_together.append(budget.in_use)
            yield

    monkeypatch.setattr(budget, "reserve", observed_reserve)
    account = await accounts.user()
    side = int((max_pixels * 0.6) ** 0.5)  # two of these do not fit at once
    images = [image_bytes(width=side, height=side, color=(shade, 0, 0), image_format="PNG") for shade in range(4)]
    answers = await asyncio.gather(*(upload(http, account, content) for content in images))
    assert [uploaded(answer)["width"] for answer in answers] == [side] * 4
    assert decoding_together == [side * side] * 4  # each decoded alone
    assert budget.in_use == 0
    budget.close()
