"""The application with STORAGE_URL=s3://...: every file goes to a bucket on a real S3 server on 127.0.0.1
(moto's server mode), and nothing stays on the process's disk. Media is served from the bucket under the same
URLs and headers, the ZIP job reads its archive from the bucket, LoRA files are checked and stored there, and the
purge removes their objects. Same database, Redis and tokens as the session's app; only the storage differs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from core.storage_s3 import S3Storage
from graph.app import create_app
from jobs.purge import purge_deleted
from tests.conftest import Account, Accounts, GraphQLClient, close_app
from tests.graph.subjects_common import create
from tests.graph.test_media import upload, uploaded
from tests.images import image_bytes
from tests.jobs.conftest import RunJobs
from tests.jobs.lora_helpers import admin_view, answer, make_subject, small_lora, upload_lora
from tests.jobs.test_purge import delete_days_ago
from tests.jobs.zip_helpers import build_zip, png, task_as, upload_zip, uploaded_task
from tests.s3_server import S3Server

PREFIX = "studio"
SUBJECT_IMAGES = "query($id: UUID!) { subject(id: $id) { baseImages { imageUrl } portfolioImagesMedia { url } } }"


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket()


@pytest.fixture(scope="module")
def s3_settings(
    settings: Settings, s3_server: S3Server, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The session's settings with the bucket as storage, read the way a process reads its environment; an
    empty data folder and storage folder of its own, to show that nothing is left on the local disk."""
    environment = s3_server.environment(bucket, PREFIX)
    overrides: dict[str, Any] = {name.lower(): value for name, value in environment.items()}
    overrides["aws_secret_access_key"] = SecretStr(overrides["aws_secret_access_key"])
    return Settings(
        **{
            **settings.model_dump(),
            **overrides,
            "data_dir": tmp_path_factory.mktemp("s3-data"),
            "storage_dir": tmp_path_factory.mktemp("s3-unused-storage"),
        }
    )


@pytest.fixture(scope="module")
async def s3_app(s3_settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(s3_settings)
    assert isinstance(application.state.resources.storage, S3Storage)
    yield application
    await close_app(application)


@pytest.fixture
async def s3_http(s3_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=s3_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def s3_gql(s3_http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(s3_http)


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.user(superuser=True)


def in_bucket(s3_server: S3Server, bucket: str) -> set[str]:
    """The bucket's keys as the application names them (under its prefix)."""
    keys = s3_server.keys(bucket)
    assert all(key.startswith(f"{PREFIX}/") for key in keys), keys
    return {key.removeprefix(f"{PREFIX}/") for key in keys}


def media_key(url: str) -> str:
    return "media/" + url.removeprefix("/media/")


def local_files(settings: Settings) -> list[Path]:
    """Files on the process's own disk: its temp folder and the (unused) storage folder."""
    return [path for root in (settings.data_dir, settings.storage_dir) for path in root.rglob("*") if path.is_file()]


async def test_an_upload_is_stored_in_the_bucket_and_served_like_one_on_disk(
    s3_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
    accounts: Accounts,
    s3_server: S3Server,
    bucket: str,
    s3_settings: Settings,
) -> None:
    owner = await accounts.user()
    content = image_bytes(width=31, height=17, color=(200, 10, 10))

    media = uploaded(await upload(s3_http, owner, content))

    assert media_key(media["url"]) in in_bucket(s3_server, bucket)
    assert local_files(s3_settings) == []
    from_bucket = await s3_http.get(media["url"])
    head = await s3_http.head(media["url"])
    assert from_bucket.status_code == 200 and from_bucket.content == content
    assert head.status_code == 200 and head.content == b""
    # The same content uploaded to the app on a local folder: same URL, same answer.
    assert uploaded(await upload(http, owner, content))["url"] == media["url"]
    from_disk = await http.get(media["url"])
    # Each backend has its own ETag and Last-Modified (S3's, the file's), each request its own id; Range requests
    # are the folder's extra.
    own = {"etag", "last-modified", "accept-ranges", "x-request-id"}
    assert {name: value for name, value in from_bucket.headers.items() if name not in own} == {
        name: value for name, value in from_disk.headers.items() if name not in own
    }
    assert from_bucket.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert from_bucket.headers["content-type"] == "image/png"
    assert head.headers["content-length"] == str(len(content))
    # Nothing about the bucket reaches the client.
    assert bucket not in str(from_bucket.headers) and s3_server.endpoint_url not in str(from_bucket.headers)
    missing = await s3_http.get("/media/ff/" + "f" * 64 + ".png")
    assert (missing.status_code, missing.content) == (404, b"not found")


async def test_a_zip_waits_in_the_bucket_and_the_job_reads_it_from_there(
    s3_app: Starlette,
    s3_http: httpx.AsyncClient,
    s3_gql: GraphQLClient,
    accounts: Accounts,
    run_jobs: RunJobs,
    s3_server: S3Server,
    bucket: str,
    s3_settings: Settings,
) -> None:
    owner = await accounts.user()
    subject = await create(s3_gql, owner)
    content = build_zip([("front_full_body.png", png(31)), ("portfolio/one.png", png(32))])

    pending = uploaded_task(await upload_zip(s3_http, owner, content, subject_id=subject["id"]))

    archives = {key for key in in_bucket(s3_server, bucket) if key.startswith("uploads/")}
    assert len(archives) == 1
    assert local_files(s3_settings) == []

    await run_jobs(s3_app.state.resources)

    task = await task_as(s3_gql, owner, pending["id"])
    assert task["status"] == "COMPLETED", task
    assert (task["imagesProcessed"], task["portfolioImagesProcessed"], task["imagesSkipped"]) == (1, 1, 0)
    seen = (await s3_gql.data(SUBJECT_IMAGES, {"id": subject["id"]}, as_=owner))["subject"]
    urls = [seen["baseImages"][0]["imageUrl"], seen["portfolioImagesMedia"][0]["url"]]
    assert [(await s3_http.get(url)).content for url in urls] == [png(31), png(32)]
    keys = in_bucket(s3_server, bucket)
    assert {media_key(url) for url in urls} <= keys
    # The archive is gone from the bucket once processed, and its local copy from the worker's disk.
    assert not keys & archives
    assert local_files(s3_settings) == []


async def test_a_lora_is_checked_and_stored_in_the_bucket_then_purged_with_its_subject(
    s3_app: Starlette,
    s3_http: httpx.AsyncClient,
    s3_gql: GraphQLClient,
    accounts: Accounts,
    admin: Account,
    run_jobs: RunJobs,
    s3_server: S3Server,
    bucket: str,
    s3_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    owner = await accounts.user()
    cover = image_bytes(width=9, height=7, color=(3, 90, 200))
    cover_url = uploaded(await upload(s3_http, owner, cover))["url"]
    subject_id = await make_subject(s3_gql, owner, cover=cover_url)
    content = small_lora()

    staged = answer(await upload_lora(s3_http, admin, "subject", subject_id, content))
    assert staged["loraStatus"] == "processing"
    assert any(key.startswith(f"lora-staging/subjects/{subject_id}/") for key in in_bucket(s3_server, bucket))

    await run_jobs(s3_app.state.resources)

    ready = await admin_view(s3_gql, admin, "subject", subject_id)
    assert ready["loraStatus"] == "ready", ready
    assert ready["loraInfo"]["tensorCount"] == 2 and ready["loraInfo"]["sizeBytes"] == len(content)
    model = ready["localModelPath"]
    own_keys = {key for key in in_bucket(s3_server, bucket) if subject_id in key}
    assert own_keys == {model}  # moved from its staging key to its model key
    async with s3_app.state.resources.storage.local_copy(model) as path:
        assert path.read_bytes() == content

    # Not a LoRA: refused by the check, and its staged object removed from the bucket.
    refused = answer(await upload_lora(s3_http, admin, "subject", subject_id, b"\x00" * 64))
    assert refused["loraStatus"] == "processing"
    await run_jobs(s3_app.state.resources)
    failed = await admin_view(s3_gql, admin, "subject", subject_id)
    assert failed["loraStatus"] == "failed" and failed["localModelPath"] == model
    assert {key for key in in_bucket(s3_server, bucket) if subject_id in key} == {model}

    await delete_days_ago(s3_gql, session_factory, owner, "subject", subject_id, days=31)
    result = await purge_deleted({"resources": s3_app.state.resources})

    assert result["subjects"] >= 1
    keys = in_bucket(s3_server, bucket)
    assert not any(subject_id in key for key in keys)
    assert media_key(cover_url) not in keys
    assert (await s3_http.get(cover_url)).status_code == 404
    assert local_files(s3_settings) == []
