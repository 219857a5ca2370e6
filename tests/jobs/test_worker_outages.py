"""A real worker process (`python -m jobs.worker`) whose Redis or PostgreSQL goes away and comes back.

The worker reaches the server through a TCP proxy (tests/tcp_proxy.py) that the test cuts, as a restart does:
open connections die and new ones are refused. The shared servers themselves are never touched.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from arq.jobs import Job, JobStatus
from arq.worker import Worker
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.models import Subject, SubjectBaseImagesUploadTask
from db.models.enums import TaskStatus
from jobs.resilient import ARQ_INTERNALS, ResilientWorker
from jobs.sweep import sweep_staging
from jobs.zip_ingest import PROGRESS_EVERY
from services.queue import queue_name
from tests.conftest import Accounts, GraphQLClient
from tests.graph.subjects_common import create
from tests.jobs.conftest import WorkerProcess
from tests.jobs.zip_helpers import (
    DEFAULT_SHOT_TYPES,
    build_zip,
    media_rows_per_key,
    subject_rows,
    task_as,
    unique_png,
    upload_zip,
    uploaded_task,
)
from tests.tcp_proxy import TcpProxy

FINISH_WITHIN = 60.0


@asynccontextmanager
async def proxied(url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy in front of the server of `url`, and the same URL through it."""
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 0)
    await proxy.start()
    try:
        yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        await proxy.cut()


async def wait_for(condition: Callable[[], bool], worker: WorkerProcess, what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert worker.alive, f"the worker died while waiting for {what}:\n{worker.log()}"
        assert time.monotonic() < deadline, f"no {what} within {within}s:\n{worker.log()}"
        await asyncio.sleep(0.05)


async def finished_task(
    gql: GraphQLClient, owner: object, task_id: str, worker: WorkerProcess, app: Starlette
) -> dict[str, object]:
    """The task once it is COMPLETED or FAILED, as its owner reads it, and its job once arq has recorded it as done:
    a job still running when the worker is stopped is left in the queue, where it would hold up later tests."""
    redis, settings = app.state.resources.redis, app.state.resources.settings
    deadline = time.monotonic() + FINISH_WITHIN
    while True:
        task = await task_as(gql, owner, task_id)  # type: ignore[arg-type]
        if task["status"] in ("COMPLETED", "FAILED"):
            break
        assert worker.alive, worker.log()
        assert time.monotonic() < deadline, f"task still {task['status']}:\n{worker.log()}"
        await asyncio.sleep(0.1)
    job = Job(task_id, redis, _queue_name=queue_name(settings))
    deadline = time.monotonic() + FINISH_WITHIN
    while await job.status() is not JobStatus.complete:
        assert time.monotonic() < deadline, f"job {task_id} is {await job.status()}:\n{worker.log()}"
        await asyncio.sleep(0.05)
    return task


def test_the_arq_internals_the_worker_relies_on_still_exist() -> None:
    # jobs/resilient.py overrides or touches these; an arq upgrade that renames one must fail here, not in production.
    worker = Worker(functions=[sweep_staging], queue_name="q", handle_signals=False)
    for name in ARQ_INTERNALS:
        assert hasattr(Worker, name) or hasattr(worker, name), name
    assert issubclass(ResilientWorker, Worker)


async def test_the_worker_rides_out_a_redis_outage_and_takes_jobs_afterwards(
    app: Starlette,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    settings: Settings,
    worker_process: Callable[..., WorkerProcess],
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    assert settings.redis_url
    async with proxied(settings.redis_url) as (redis, redis_url):
        worker = worker_process(REDIS_URL=redis_url)
        before = uploaded_task(
            await upload_zip(http, owner, build_zip([("portfolio/a.png", unique_png())]), subject_id=subject["id"])
        )
        assert (await finished_task(gql, owner, before["id"], worker, app))["status"] == "COMPLETED"

        await redis.cut()
        await wait_for(lambda: "Redis unreachable" in worker.log(), worker, "outage noticed")
        await asyncio.sleep(3)  # several polls and reconnection attempts fail meanwhile
        assert worker.alive, worker.log()
        # Queued during the outage (the API reaches Redis directly): the worker takes it once Redis is back.
        during = uploaded_task(
            await upload_zip(http, owner, build_zip([("portfolio/b.png", unique_png())]), subject_id=subject["id"])
        )
        await redis.restore()

        assert (await finished_task(gql, owner, during["id"], worker, app))["status"] == "COMPLETED"
        after = uploaded_task(
            await upload_zip(http, owner, build_zip([("portfolio/c.png", unique_png())]), subject_id=subject["id"])
        )
        assert (await finished_task(gql, owner, after["id"], worker, app))["status"] == "COMPLETED"
        assert worker.alive
        await asyncio.to_thread(worker.stop)  # the proxy runs on this loop: never block it
    log = worker.log()
    assert log.count("Redis unreachable") == 1, log  # once per outage, not once per failed poll
    assert "Redis is back" in log, log
    assert "Traceback" not in log, log
    assert worker.process.returncode == 0, log


async def _waiting_for(session_factory: async_sessionmaker[AsyncSession], holder: int) -> bool:
    """Whether some backend waits for a lock that the backend `holder` holds."""
    async with session_factory() as session:
        waiting = await session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
            {"holder": holder},
        )
        return bool(waiting)


async def test_a_zip_job_cut_off_from_postgresql_mid_way_is_retried_and_completes(
    app: Starlette,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    worker_process: Callable[..., WorkerProcess],
) -> None:
    """The first batch of the archive is committed, then the job loses PostgreSQL while recording the second. It
    runs again once PostgreSQL is back, from the start, and the end state is as if nothing had happened."""
    owner = await accounts.user()
    subject = await create(gql, owner)
    portfolio = 3 * PROGRESS_EVERY
    members = [(f"shots/{name}.png", unique_png()) for name in DEFAULT_SHOT_TYPES]
    members += [(f"portfolio/{index:03}.png", unique_png()) for index in range(portfolio)]
    total = len(members)
    assert len(DEFAULT_SHOT_TYPES) < PROGRESS_EVERY < total
    task = uploaded_task(await upload_zip(http, owner, build_zip(members), subject_id=subject["id"]))
    task_id = uuid.UUID(task["id"])

    async def processed() -> int:
        async with session_factory() as session:
            row = await session.get(SubjectBaseImagesUploadTask, task_id)
            assert row is not None and row.status is TaskStatus.PROCESSING, row and row.status
            return row.processed_items

    async def lock_the_subject() -> int:
        """Lock the subject in `holder`'s transaction; answers the backend holding the lock."""
        await holder.execute(select(Subject.id).where(Subject.id == subject_id).with_for_update())
        return int(await holder.scalar(text("SELECT pg_backend_pid()")) or 0)

    async def until_the_job_waits_for(backend: int, worker: WorkerProcess) -> None:
        deadline = time.monotonic() + 30
        while not await _waiting_for(session_factory, backend):
            assert worker.alive, worker.log()
            assert time.monotonic() < deadline, worker.log()
            await asyncio.sleep(0.02)

    subject_id = uuid.UUID(subject["id"])
    assert settings.database_url
    async with proxied(settings.database_url) as (postgres, database_url), session_factory() as holder:
        # Every batch of the job locks the subject; holding that lock stops the job between two batches.
        backend = await lock_the_subject()
        worker = worker_process(DATABASE_URL=database_url, JOB_OUTAGE_RETRY_SECONDS="1")
        await until_the_job_waits_for(backend, worker)  # the first batch, blocked
        for _ in range(5):
            # Let it through and take the lock again behind it, stopping the second batch. The waiting job is woken
            # by the commit, so it nearly always gets the lock first; when it does not, it waits again, and so do we.
            await holder.commit()
            backend = await lock_the_subject()
            if await processed() > 0:
                break
            await until_the_job_waits_for(backend, worker)
        assert await processed() == PROGRESS_EVERY  # the first batch is committed, base images included
        await until_the_job_waits_for(backend, worker)

        await postgres.cut()
        await wait_for(lambda: "running it again" in worker.log(), worker, "a retry")
        await asyncio.sleep(2)  # the next try meets the outage too
        await holder.commit()
        await postgres.restore()
        done = await finished_task(gql, owner, task["id"], worker, app)
        await asyncio.to_thread(worker.stop)  # the proxy runs on this loop: never block it

    log = worker.log()
    assert done["status"] == "COMPLETED", (done, log)
    assert (done["totalItems"], done["processedItems"], done["progress"], done["errorMessage"]) == (
        total,
        total,
        100,
        None,
    )
    assert (done["imagesProcessed"], done["portfolioImagesProcessed"], done["imagesSkipped"]) == (
        len(DEFAULT_SHOT_TYPES),
        portfolio,
        0,
    )
    assert "try=2" in log, log
    # Nothing twice: one base image per shot type, each portfolio image once, one media row per stored file.
    rows = await subject_rows(session_factory, subject["id"], owner.id)
    assert len(rows.base_images) == len(DEFAULT_SHOT_TYPES)
    assert len(rows.portfolio) == portfolio == len({media for media, _ in rows.portfolio})
    expected = {hashlib.sha256(content).hexdigest() for _, content in members}
    assert expected <= {key.rsplit("/", 1)[1].split(".")[0] for key in rows.media_keys}, (
        len(rows.media_keys),
        rows.media_keys,
    )
    assert await media_rows_per_key(session_factory, owner.id) == 1
    async with session_factory() as session:
        unfinished = await session.scalar(
            select(func.count())
            .select_from(SubjectBaseImagesUploadTask)
            .where(
                SubjectBaseImagesUploadTask.id == task_id,
                SubjectBaseImagesUploadTask.status.in_([TaskStatus.PENDING, TaskStatus.PROCESSING]),
            )
        )
    assert unfinished == 0
