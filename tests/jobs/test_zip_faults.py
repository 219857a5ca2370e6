"""Untrusted ZIPs, lost workers and abandoned tasks: every case ends in a clear task state, nothing is written
outside storage, and the worker keeps serving other jobs."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.base import utcnow
from db.models import SubjectBaseImagesUploadTask
from db.models.enums import TaskStatus
from jobs.reaper import JOB_LOST, WORKER_STOPPED, reap_upload_tasks
from jobs.zip_ingest import ARCHIVE_GONE, JOB_NAME, ingest_base_images_zip
from services.progress import task_channel
from services.queue import enqueue
from services.upload_tasks import NOT_AN_IMAGE
from tests.conftest import REPO_ROOT, Account, Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import create
from tests.jobs.conftest import RunJobs, WorkerProcess
from tests.jobs.zip_helpers import (
    DEFAULT_SHOT_TYPES,
    archive_key,
    build_zip,
    default_shot_type_id,
    files_under,
    media_rows_per_key,
    only_error,
    overlapping_bomb,
    png,
    staged_files,
    subject_rows,
    symlink,
    task_as,
    unique_png,
    upload_zip,
    uploaded_task,
    with_lying_size,
)

MB = 1024 * 1024
# Where an absolute entry name would point: a place this machine really has.
TEMP = tempfile.gettempdir()


def outside_storage(settings: Settings) -> set[str]:
    """Every file of this test session's temp folder except the storage's own."""
    root = settings.storage_dir.parent
    storage = settings.storage_dir.name
    return {name for name in files_under(root) if not name.startswith(f"{storage}/")}


def escaped(marker: str, settings: Settings) -> list[Path]:
    """Files named after `marker` anywhere a ZIP-slip could have put them."""
    places = {Path(tempfile.gettempdir()), REPO_ROOT, *settings.storage_dir.parents[:3]}
    return [path for place in places for path in place.glob(f"*{marker}*")]


async def test_hostile_entries_are_skipped_and_the_worker_carries_on(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    marker = f"zipslip-{uuid.uuid4().hex[:8]}"
    members: list[tuple[Any, bytes]] = [
        ("front_full_body.png", png(1)),
        (f"../../{marker}.png", png(2)),
        (f"portfolio/../../{marker}-p.png", png(3)),
        (f"..\\..\\{marker}-win.png", png(4)),
        (f"{TEMP}/{marker}-abs.png", png(5)),
        (f"C:/{marker}-drive.png", png(6)),
        (symlink("front_upper_body.png"), b"/etc/passwd"),
        ("back_full_body.png", png(7)[:60]),  # a corrupt image
        ("side_full_body.png", b"plain text, named like a shot type"),
        ("front_headshot.png", bytes(30 * MB)),  # larger than any image may be
        ("detail.png", bytes(5 * MB)),  # a small entry inflating a thousandfold
        ("front_close_up.png", bytes(3 * MB)),  # a bomb whose headers claim it is small
    ]
    content = with_lying_size(build_zip(members), "front_close_up.png", 1000)
    assert len(content) < 100_000
    expected_reasons = {
        f"../../{marker}.png": "path traversal",
        f"portfolio/../../{marker}-p.png": "path traversal",
        f"..\\..\\{marker}-win.png": "path traversal",
        f"{TEMP}/{marker}-abs.png": "absolute path",
        f"C:/{marker}-drive.png": "path traversal",
        "front_upper_body.png": "symbolic link",
        "back_full_body.png": "image is truncated or corrupt",
        "side_full_body.png": "not an image",
        "front_headshot.png": "too large",
        "detail.png": "suspicious compression ratio",
        "front_close_up.png": "corrupt data (checksum mismatch)",
    }
    before = outside_storage(settings)
    staged_before = staged_files(settings.storage_dir)
    await run_jobs()  # jobs other tests left queued, so that the worker below runs exactly this test's two

    hostile = uploaded_task(await upload_zip(http, owner, content, subject_id=subject["id"]))
    normal = uploaded_task(await upload_zip(http, owner, build_zip([("detail.png", png(8))]), subject_id=subject["id"]))
    worker = await run_jobs()  # one worker, both jobs

    task = await task_as(gql, owner, hostile["id"])
    assert task["status"] == "COMPLETED", task
    assert (task["totalItems"], task["imagesProcessed"], task["imagesSkipped"]) == (12, 1, 11)
    entries = task["resultData"]["entries"]
    assert entries[0] == {
        "name": "front_full_body.png",
        "outcome": "base_image",
        "shotTypeId": default_shot_type_id("front_full_body"),
    }
    assert {entry["name"]: entry["reason"] for entry in entries[1:]} == expected_reasons
    assert all(entry["outcome"] == "skipped" for entry in entries[1:])

    assert (await task_as(gql, owner, normal["id"]))["imagesProcessed"] == 1
    assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)
    # Nothing outside storage; inside it, nothing but content-addressed media, and no staged leftovers.
    assert outside_storage(settings) == before
    assert escaped(marker, settings) == []
    assert not [name for name in files_under(settings.storage_dir) if marker in name]
    assert staged_files(settings.storage_dir) <= staged_before
    assert not (settings.storage_dir / archive_key(content)).exists()


async def test_thousands_of_empty_entries_are_each_skipped(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    # Under portfolio/ with an image extension, so every one is really read and inspected.
    members = [(f"portfolio/empty-{index:04}.png", b"") for index in range(1200)]
    members += [(f"empty/{index:04}", b"") for index in range(300)]
    staged_before = staged_files(settings.storage_dir)
    task = uploaded_task(await upload_zip(http, owner, build_zip(members), subject_id=subject["id"]))
    await run_jobs()

    done = await task_as(gql, owner, task["id"])
    assert (done["status"], done["totalItems"], done["processedItems"], done["imagesSkipped"]) == (
        "COMPLETED",
        1500,
        1500,
        1500,
    )
    reasons = [entry["reason"] for entry in done["resultData"]["entries"]]
    assert reasons == ["not an image"] * 1200 + [NOT_AN_IMAGE] * 300
    assert staged_files(settings.storage_dir) <= staged_before


async def test_a_zip_bomb_is_refused_before_anything_is_kept(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    # 100 entries of 24 MB each in a file of about 300 KB: every entry is the same bytes on disk.
    bomb = overlapping_bomb(entries=100, declared_each=24 * MB, compressed_each=300 * 1024)
    assert len(bomb) < 400 * 1024
    files_before = files_under(settings.storage_dir)
    before = outside_storage(settings)

    # The archive's own file list proves it: refused at once, nothing inflated, nothing kept, no task.
    for subject_id in (subject["id"], None):
        error = only_error(await upload_zip(http, owner, bomb, subject_id=subject_id))
        assert error_code(error) == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == {"file": "the archive unpacks to more than 2 GB"}
    assert files_under(settings.storage_dir) == files_before
    assert outside_storage(settings) == before


async def test_the_worker_applies_the_budget_itself_and_carries_on(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    app: Starlette,
    settings: Settings,
    run_jobs: RunJobs,
) -> None:
    """The worker does not trust the API's check: with a smaller budget than the one the upload passed (a
    deployment that lowered it while tasks waited), the task fails with the reason, and the next job runs."""
    owner = await accounts.user()
    subject = await create(gql, owner)
    await run_jobs()  # jobs other tests left queued, so that the worker below runs exactly this test's two
    bomb = overlapping_bomb(entries=10, declared_each=2 * MB, compressed_each=30 * 1024)
    failed = uploaded_task(await upload_zip(http, owner, bomb, subject_id=subject["id"]))
    normal = uploaded_task(await upload_zip(http, owner, build_zip([("detail.png", png(9))]), subject_id=subject["id"]))
    resources = app.state.resources
    stricter = dataclasses.replace(
        resources, settings=settings.model_copy(update={"zip_max_uncompressed_bytes": 10 * MB})
    )
    worker = await run_jobs(stricter)

    task = await task_as(gql, owner, failed["id"])
    assert (task["status"], task["errorMessage"]) == ("FAILED", "the archive unpacks to more than 10 MB")
    assert task["completedAt"] is not None and task["resultData"] is None
    assert (await task_as(gql, owner, normal["id"]))["status"] == "COMPLETED"
    assert worker.jobs_complete == 2
    assert not (settings.storage_dir / archive_key(bomb)).exists()


async def test_a_task_whose_archive_vanished_fails_clearly(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    run_jobs: RunJobs,
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, build_zip([("a.png", unique_png())]), subject_id=subject["id"]))
    async with session_factory() as session:
        key = await session.scalar(
            select(SubjectBaseImagesUploadTask.archive_key).where(
                SubjectBaseImagesUploadTask.id == uuid.UUID(task["id"])
            )
        )
    assert key is not None
    (settings.storage_dir / key).unlink()
    await run_jobs()
    done = await task_as(gql, owner, task["id"])
    assert (done["status"], done["errorMessage"]) == ("FAILED", ARCHIVE_GONE)


async def test_a_job_past_its_deadline_fails_its_task(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    app: Starlette,
    run_jobs: RunJobs,
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, build_zip([("a.png", png(1))]), subject_id=subject["id"]))
    resources = app.state.resources
    # A deployment whose jobs get no time at all: the job's own deadline passes at its first wait.
    hurried = dataclasses.replace(resources, settings=resources.settings.model_copy(update={"job_timeout_seconds": 0}))
    assert await ingest_base_images_zip({"resources": hurried}, task["id"]) == "failed"
    done = await task_as(gql, owner, task["id"])
    assert done["status"] == "FAILED"
    assert done["errorMessage"] == "processing took longer than 0 seconds and was stopped; upload a smaller archive"
    await run_jobs()  # arq still delivers it: the job sees a finished task and leaves it alone
    assert await task_as(gql, owner, task["id"]) == done


async def _abandoned_task(
    app: Starlette, owner: Account, subject_id: str, status: TaskStatus, age_seconds: float
) -> tuple[uuid.UUID, str]:
    """A task as a lost worker or a lost enqueue leaves it, `age_seconds` old; answers its id and archive key."""
    resources = app.state.resources
    key = await resources.storage.store_bytes(
        build_zip([("front_full_body.png", unique_png())]), extension="zip", namespace="uploads"
    )
    then = utcnow() - timedelta(seconds=age_seconds)
    async with resources.session_factory() as session, session.begin():
        task = SubjectBaseImagesUploadTask(
            owner_id=owner.id,
            subject_id=uuid.UUID(subject_id),
            status=status,
            archive_key=key,
            created_at=then,
            started_at=then if status is TaskStatus.PROCESSING else None,
        )
        session.add(task)
    return task.id, key


async def test_the_reaper_fails_abandoned_tasks_only(
    gql: GraphQLClient, accounts: Accounts, app: Starlette, settings: Settings, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject = (await create(gql, owner))["id"]
    resources = app.state.resources
    stale = settings.job_timeout_seconds + settings.job_reap_margin_seconds + 5
    lost_worker, lost_worker_key = await _abandoned_task(app, owner, subject, TaskStatus.PROCESSING, stale)
    lost_job, _ = await _abandoned_task(app, owner, subject, TaskStatus.PENDING, settings.job_reap_margin_seconds + 5)
    # Old, but their jobs wait in the queue (a re-run after a dead worker; a busy queue): a worker will come.
    requeued, _ = await _abandoned_task(app, owner, subject, TaskStatus.PROCESSING, stale)
    waiting, _ = await _abandoned_task(app, owner, subject, TaskStatus.PENDING, settings.job_reap_margin_seconds + 5)
    for task_id in (requeued, waiting):
        await enqueue(resources.redis, settings, JOB_NAME, str(task_id), job_id=str(task_id))
    # Young: nobody's business yet.
    young, _ = await _abandoned_task(app, owner, subject, TaskStatus.PENDING, 1)

    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(task_channel(settings, lost_worker))
    await pubsub.get_message(timeout=1)  # the subscription's confirmation
    try:
        assert await reap_upload_tasks({"resources": resources}) >= 2
        announced = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
    finally:
        await pubsub.aclose()
    assert announced is not None and announced["data"] == b"changed"

    states = {
        task["id"]: (task["status"], task["errorMessage"])
        for task in [await task_as(gql, owner, str(task_id)) for task_id in (lost_worker, lost_job, young)]
    }
    assert states == {
        str(lost_worker): ("FAILED", WORKER_STOPPED),
        str(lost_job): ("FAILED", JOB_LOST),
        str(young): ("PENDING", None),
    }
    assert not (settings.storage_dir / lost_worker_key).exists()

    await run_jobs()
    for task_id in (requeued, waiting):
        done = await task_as(gql, owner, str(task_id))
        assert (done["status"], done["imagesProcessed"]) == ("COMPLETED", 1)
    # Reaped again a minute later, the finished ones stay as they are.
    await reap_upload_tasks({"resources": resources})
    assert (await task_as(gql, owner, str(lost_worker)))["errorMessage"] == WORKER_STOPPED
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(SubjectBaseImagesUploadTask)
            .where(SubjectBaseImagesUploadTask.id == young)
            .values(status=TaskStatus.FAILED, archive_key=None)
        )


async def test_a_worker_killed_mid_zip_is_replaced_and_the_task_completes(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    worker_process: Callable[..., WorkerProcess],
) -> None:
    """SIGKILL while the first worker is mid-way. arq re-runs a job whose worker died once its in-progress key
    expires (the job's timeout + 10 s); the attempt that follows starts over and ends with the right counts."""
    owner = await accounts.user()
    subject = await create(gql, owner)
    portfolio = 89
    members = [(f"shots/{name}.png", unique_png()) for name in DEFAULT_SHOT_TYPES]
    members += [(f"portfolio/{index:03}.png", unique_png()) for index in range(portfolio)]
    total = len(members)
    task = uploaded_task(await upload_zip(http, owner, build_zip(members), subject_id=subject["id"]))
    task_id = uuid.UUID(task["id"])

    async def row() -> SubjectBaseImagesUploadTask:
        async with session_factory() as session:
            found = await session.get(SubjectBaseImagesUploadTask, task_id)
            assert found is not None
            return found

    # A short job timeout, so arq's redelivery comes within the test (it is timeout + 2 s grace + 10 s).
    environment = {"JOB_TIMEOUT_SECONDS": "6"}
    first = worker_process(**environment)
    deadline = time.monotonic() + 60
    while (current := await row()).processed_items == 0:
        assert first.alive, first.log()
        assert time.monotonic() < deadline, first.log()
        await asyncio.sleep(0.02)
    first.kill()
    interrupted = await row()
    assert interrupted.status is TaskStatus.PROCESSING, "the first worker finished before it could be killed"
    assert 0 < interrupted.processed_items < total
    killed_at = utcnow()

    second = worker_process(**environment)
    try:
        deadline = time.monotonic() + 60
        while (current := await row()).status in (TaskStatus.PENDING, TaskStatus.PROCESSING):
            assert second.alive, second.log()
            assert time.monotonic() < deadline, second.log()
            await asyncio.sleep(0.1)
    finally:
        second.stop()

    done = await task_as(gql, owner, task["id"])
    assert done["status"] == "COMPLETED", (done, second.log())
    assert (done["totalItems"], done["processedItems"], done["progress"]) == (total, total, 100)
    assert (done["imagesProcessed"], done["portfolioImagesProcessed"], done["imagesSkipped"]) == (
        len(DEFAULT_SHOT_TYPES),
        portfolio,
        0,
    )
    assert current.started_at is not None and current.started_at > killed_at  # a new attempt, from the start
    assert "try=2" in second.log()
    rows = await subject_rows(session_factory, subject["id"], owner.id)
    assert len(rows.base_images) == len(DEFAULT_SHOT_TYPES) and len(rows.portfolio) == portfolio
    assert await media_rows_per_key(session_factory, owner.id) == 1
