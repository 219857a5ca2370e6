"""The worker's own metrics endpoint and its job log lines, on real worker processes (`python -m jobs.worker`)
running a real job (README, "Operating it")."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
from arq.connections import ArqRedis
from starlette.applications import Starlette

from core.embedded import free_port
from services.queue import queue_name
from services.upload_tasks import INGEST_JOB
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.conftest import WorkerProcess
from tests.jobs.lora_helpers import make_subject
from tests.jobs.test_worker_outages import finished_task, wait_for
from tests.jobs.zip_helpers import DEFAULT_SHOT_TYPES, build_zip, unique_png, upload_zip, uploaded_task
from tests.scrapes import METRICS_TOKEN, scrape

READY_WITHIN = 60.0


async def serving(port: int, worker: WorkerProcess) -> None:
    """Until the worker's endpoint answers (it starts once the worker has imported everything and connected)."""
    deadline = time.monotonic() + READY_WITHIN
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            assert worker.alive, worker.log()
            try:
                await client.get(f"http://127.0.0.1:{port}/metrics")
                return
            except httpx.TransportError:
                assert time.monotonic() < deadline, worker.log()
                await asyncio.sleep(0.1)


def json_lines(worker: WorkerProcess) -> list[dict[str, Any]]:
    lines = [json.loads(text) for text in worker.log().splitlines()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


async def test_the_worker_serves_its_jobs_queue_and_images_after_a_real_job(
    worker_process: Any, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, app: Starlette
) -> None:
    port = free_port()
    worker: WorkerProcess = worker_process(
        WORKER_METRICS_PORT=str(port), METRICS_TOKEN=METRICS_TOKEN, LOG_FORMAT="json"
    )
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    # One base image, two portfolio images and one file that is skipped.
    archive = build_zip(
        [
            (f"{DEFAULT_SHOT_TYPES[0]}.png", unique_png()),
            ("portfolio/a.png", unique_png()),
            ("portfolio/b.png", unique_png()),
            ("notes.txt", b"not an image"),
        ]
    )
    task = uploaded_task(await upload_zip(http, owner, archive, subject_id=subject_id))
    assert (await finished_task(gql, owner, task["id"], worker, app))["status"] == "COMPLETED"
    await serving(port, worker)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        metrics = await scrape(client)
        # The queue is read at scrape time: a job deferred for an hour waits in it.
        queue = ArqRedis(connection_pool=app.state.resources.redis.connection_pool)
        waiting = f"waiting-{uuid.uuid4().hex}"
        await queue.enqueue_job(
            INGEST_JOB,
            str(uuid.uuid4()),
            _job_id=waiting,
            _defer_by=3600,
            _queue_name=queue_name(app.state.resources.settings),
        )
        try:
            with_one_waiting = await scrape(client)
        finally:
            await queue.zrem(queue_name(app.state.resources.settings), waiting)
            await queue.delete(f"arq:job:{waiting}")

    assert metrics.value("jobs_total", function=INGEST_JOB, outcome="complete") == 1
    assert metrics.value("job_duration_seconds_count", function=INGEST_JOB) == 1
    images = {
        outcome: metrics.value("zip_images_processed_total", outcome=outcome)
        for outcome in ("base_image", "portfolio", "skipped")
    }
    assert images == {"base_image": 1, "portfolio": 2, "skipped": 1}
    assert with_one_waiting.value("jobs_queue_depth") == metrics.value("jobs_queue_depth") + 1
    assert metrics.value("db_pool_size") == app.state.resources.settings.database_pool_size

    # The job's start and end, as JSON lines carrying its job id and the task it worked on.
    job_lines = [line for line in json_lines(worker) if line.get("task_id") == task["id"]]
    started, ended = (line for line in job_lines if line["logger"] == "jobs.observed")
    assert started["message"] == f"job {INGEST_JOB} started (try 1)"
    assert ended["outcome"] == "complete" and ended["duration_ms"] > 0
    for line in (started, ended):
        assert (line["job_id"], line["job_function"], line["job_try"]) == (task["id"], INGEST_JOB, 1)
    # Every line the job logged between them carries the same ids (here, none of the job's own: it went well).
    assert all(line["job_id"] == task["id"] for line in job_lines)


async def test_a_second_worker_finding_the_port_taken_runs_on_without_metrics(worker_process: Any) -> None:
    port = free_port()
    first: WorkerProcess = worker_process(WORKER_METRICS_PORT=str(port))
    await serving(port, first)
    second: WorkerProcess = worker_process(WORKER_METRICS_PORT=str(port))
    await wait_for(lambda: "Worker metrics not served" in second.log(), second, "the port refused", READY_WITHIN)
    await asyncio.sleep(1)
    assert first.alive and second.alive, second.log()
    assert f":{port} is unavailable" in second.log() and "its own WORKER_METRICS_PORT, or 0 for none" in second.log()
    async with httpx.AsyncClient(timeout=10) as client:  # no METRICS_TOKEN: open
        assert "jobs" in (await scrape(client, f"http://127.0.0.1:{port}/metrics")).families
