"""The purge: subjects and styles soft-deleted past the retention window go for good, with their rows, model
files, staged uploads and the media nothing else uses; younger ones stay restorable; concurrent runs are safe."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.base import utcnow
from db.models import (
    MediaResource,
    Style,
    StyleDataImage,
    Subject,
    SubjectBaseImage,
    SubjectBaseImagesUploadTask,
    SubjectDataImage,
    SubjectMeasurements,
)
from jobs.purge import purge, purge_deleted
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import fresh_image_uri, make_shot_type
from tests.jobs.conftest import RunJobs
from tests.jobs.lora_helpers import admin_view, answer, make_style, small_lora, upload_lora

SUBJECT_CREATE = """mutation($input: SubjectCreate!) { createSubject(input: $input) {
  id coverImageUrl dataImageUrls baseImages { imageUrl } } }"""
STYLE_CREATE = "mutation($input: StyleCreate!) { createStyle(input: $input) { id coverImageUrl dataImageUrls } }"
DELETE = {
    "subject": "mutation($id: UUID!) { deleteSubject(id: $id) { message } }",
    "style": "mutation($id: UUID!) { deleteStyle(id: $id) { message } }",
}
RESTORE = {
    "subject": "mutation($id: UUID!) { restoreSubject(id: $id) { id deletedAt } }",
    "style": "mutation($id: UUID!) { restoreStyle(id: $id) { id deletedAt } }",
}
MODELS = {"subject": Subject, "style": Style}


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.user(superuser=True)


@pytest.fixture
async def owner(accounts: Accounts) -> Account:
    return await accounts.user()


def media_path(settings: Settings, url: str) -> Path:
    return settings.storage_dir / "media" / url.removeprefix("/media/")


async def delete_days_ago(
    gql: GraphQLClient,
    session_factory: async_sessionmaker[AsyncSession],
    owner: Account,
    kind: str,
    entity_id: str,
    days: float,
) -> None:
    """Delete through the API, then move the deletion `days` into the past."""
    await gql.data(DELETE[kind], {"id": entity_id}, as_=owner)
    model: Any = MODELS[kind]
    async with session_factory() as session, session.begin():
        await session.execute(
            update(model).where(model.id == uuid.UUID(entity_id)).values(deleted_at=utcnow() - timedelta(days=days))
        )


async def with_lora(
    run_jobs: RunJobs, http: httpx.AsyncClient, gql: GraphQLClient, admin: Account, kind: str, id_: str
) -> str:
    answer(await upload_lora(http, admin, kind, id_, small_lora()))
    await run_jobs()
    view = await admin_view(gql, admin, kind, id_)
    assert view["loraStatus"] == "ready"
    return str(view["localModelPath"])


async def rows_of(session_factory: async_sessionmaker[AsyncSession], subject_id: str) -> dict[str, int]:
    """How many rows of each kind hang off a subject."""
    subject = uuid.UUID(subject_id)
    counts = {}
    async with session_factory() as session:
        for model in (SubjectMeasurements, SubjectBaseImage, SubjectDataImage, SubjectBaseImagesUploadTask):
            column: Any = model.subject_id  # type: ignore[attr-defined]
            counts[model.__tablename__] = int(await session.scalar(select(func.count()).where(column == subject)) or 0)
        counts["subjects"] = int(await session.scalar(select(func.count()).where(Subject.id == subject)) or 0)
    return counts


async def test_subjects_past_the_window_go_with_their_files_and_younger_ones_stay(
    app: Starlette,
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    shared = fresh_image_uri()
    shot_type = await make_shot_type(gql, owner)
    live = (await gql.data(SUBJECT_CREATE, {"input": _subject(cover=shared)}, as_=owner))["createSubject"]
    old = (
        await gql.data(
            SUBJECT_CREATE,
            {
                "input": _subject(
                    cover=fresh_image_uri(),
                    dataImages=[{"url": shared}, {"url": fresh_image_uri()}],
                    baseImages=[{"imageUrl": fresh_image_uri(), "shotTypeId": shot_type["id"]}],
                    measurements={"heightCm": 175},
                )
            },
            as_=owner,
        )
    )["createSubject"]
    young = (await gql.data(SUBJECT_CREATE, {"input": _subject(cover=fresh_image_uri())}, as_=owner))["createSubject"]
    old_model = await with_lora(run_jobs, http, gql, admin, "subject", old["id"])
    young_model = await with_lora(run_jobs, http, gql, admin, "subject", young["id"])
    # A live subject a superuser pointed at the old one's weights keeps them.
    other = _subject(cover=shared, localModelPath=old_model)
    await gql.data(SUBJECT_CREATE, {"input": other}, as_=admin)
    # The old subject's leftovers: a ZIP task's staged archive, and a stray staged LoRA upload.
    storage = app.state.resources.storage
    archive_key = await storage.store_bytes(b"PK\x05\x06" + bytes(18), extension="zip", namespace="zip-uploads")
    async with session_factory() as session, session.begin():
        session.add(
            SubjectBaseImagesUploadTask(owner_id=owner.id, subject_id=uuid.UUID(old["id"]), archive_key=archive_key)
        )
    stray = settings.storage_dir / f"lora-staging/subjects/{old['id']}/{'0' * 64}-{'1' * 32}.safetensors"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(small_lora())
    old_own_files = [
        media_path(settings, old["coverImageUrl"]),
        media_path(settings, old["dataImageUrls"][1]),
        media_path(settings, old["baseImages"][0]["imageUrl"]),
        settings.storage_dir / archive_key,
        stray,
    ]
    kept_files = [
        media_path(settings, shared_url := live["coverImageUrl"]),
        media_path(settings, young["coverImageUrl"]),
        settings.storage_dir / young_model,
        settings.storage_dir / old_model,
    ]
    assert all(path.is_file() for path in old_own_files + kept_files)
    assert media_path(settings, old["dataImageUrls"][0]) == kept_files[0]

    await delete_days_ago(gql, session_factory, owner, "subject", old["id"], days=31)
    await delete_days_ago(gql, session_factory, owner, "subject", young["id"], days=29)

    result = await purge_deleted({"resources": app.state.resources})

    assert result["subjects"] == 1 and result["styles"] == 0
    assert await rows_of(session_factory, old["id"]) == dict.fromkeys(
        ("subject_measurements", "subject_base_images", "subject_data_images", "subject_base_images_upload_tasks",
         "subjects"),
        0,
    )  # fmt: skip
    assert [path for path in old_own_files if path.exists()] == []
    assert not (settings.storage_dir / f"lora-staging/subjects/{old['id']}").exists()
    assert [path for path in kept_files if not path.is_file()] == []
    assert (await http.get(shared_url)).status_code == 200
    gone = await gql.error(RESTORE["subject"], {"id": old["id"]}, as_=admin)
    assert error_code(gone) == "NOT_FOUND"

    # The younger one is still whole: restore brings it back with its weights.
    restored = (await gql.data(RESTORE["subject"], {"id": young["id"]}, as_=admin))["restoreSubject"]
    assert restored["deletedAt"] is None
    view = await admin_view(gql, admin, "subject", young["id"])
    assert view["loraStatus"] == "ready" and view["localModelPath"] == young_model

    # A second run finds nothing more to do.
    assert await purge_deleted({"resources": app.state.resources}) == {
        "subjects": 0,
        "styles": 0,
        "media_files": 0,
        "other_files": 0,
    }


async def test_styles_past_the_window_go_with_their_files(
    app: Starlette,
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    made = [
        (await gql.data(STYLE_CREATE, {"input": _style()}, as_=owner))["createStyle"],
        (await gql.data(STYLE_CREATE, {"input": _style()}, as_=owner))["createStyle"],
    ]
    old, young = made
    old_model = await with_lora(run_jobs, http, gql, admin, "style", old["id"])
    await delete_days_ago(gql, session_factory, owner, "style", old["id"], days=45)
    await delete_days_ago(gql, session_factory, owner, "style", young["id"], days=1)

    result = await purge_deleted({"resources": app.state.resources})

    assert result["styles"] == 1
    assert not media_path(settings, old["coverImageUrl"]).exists()
    assert not media_path(settings, old["dataImageUrls"][0]).exists()
    assert not (settings.storage_dir / old_model).exists()
    assert not (settings.storage_dir / f"models/styles/{old['id']}").exists()
    async with session_factory() as session:
        assert await session.get(Style, uuid.UUID(old["id"])) is None
        links = select(func.count()).where(StyleDataImage.style_id == uuid.UUID(old["id"]))
        assert await session.scalar(links) == 0
    assert media_path(settings, young["coverImageUrl"]).is_file()
    restored = await gql.data(RESTORE["style"], {"id": young["id"]}, as_=admin)
    assert restored["restoreStyle"]["deletedAt"] is None


async def test_concurrent_runs_share_the_work(
    app: Starlette,
    gql: GraphQLClient,
    settings: Settings,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    made = [await make_style(gql, owner, cover=fresh_image_uri()) for _ in range(5)]
    for style_id in made:
        await delete_days_ago(gql, session_factory, owner, "style", style_id, days=60)
    async with session_factory() as session:
        media_before = await session.scalar(select(func.count()).select_from(MediaResource))

    resources = app.state.resources
    runs = await asyncio.gather(*(purge(resources, older_than=timedelta(days=30), batch_size=2) for _ in range(2)))

    assert sum(run["styles"] for run in runs) == 5
    assert sum(run["media_files"] for run in runs) == 5
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).where(Style.id.in_([uuid.UUID(i) for i in made]))) == 0
        assert await session.scalar(select(func.count()).select_from(MediaResource)) == (media_before or 0) - 5


def _subject(cover: str, **fields: Any) -> dict[str, Any]:
    return {"name": f"subject-{uuid.uuid4().hex[:6]}", "ageClass": "ADULT", "coverImage": {"url": cover}, **fields}


def _style() -> dict[str, Any]:
    return {
        "name": f"Style {uuid.uuid4().hex[:6]}",
        "coverImage": {"url": fresh_image_uri()},
        "dataImages": [{"url": fresh_image_uri()}],
    }
