"""Scale-out: two API processes and one separate worker process on loopback, sharing only PostgreSQL, Redis and
the storage folder. A client subscribes on API #1, uploads through API #2, and the worker's progress reaches it
step by step through Redis pub/sub: no process keeps anything another one needs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.api_process import ApiProcess, start_api_process
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.conftest import WorkerProcess, worker_environment
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import (
    PROGRESS,
    STEP_TIMEOUT,
    assert_progress_story,
    data_of,
    progress_zip,
    subscribed,
)
from tests.jobs.zip_helpers import upload_zip, uploaded_task

# A worker process takes a few seconds to import everything and connect before it picks the job up.
WORKER_START_TIMEOUT = 60.0


@pytest.fixture
def api_process(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], ApiProcess]]:
    """Start API processes with this session's settings; every one is stopped at the end."""
    started: list[ApiProcess] = []

    def start() -> ApiProcess:
        api = start_api_process(
            worker_environment(settings, LOG_LEVEL="WARNING"), tmp_path / f"api-{len(started) + 1}.log"
        )
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


async def test_a_subscription_on_one_api_process_follows_a_job_uploaded_through_another(
    api_process: Callable[[], ApiProcess],
    worker_process: Callable[..., WorkerProcess],
    gql: GraphQLClient,
    accounts: Accounts,
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    first_api, second_api = api_process(), api_process()
    await asyncio.gather(first_api.wait_ready(), second_api.wait_ready())

    async with httpx.AsyncClient(base_url=second_api.url, timeout=STEP_TIMEOUT) as client:
        task = uploaded_task(await upload_zip(client, owner, progress_zip(), subject_id=subject_id))
    assert task["status"] == "PENDING"

    async with subscribed(first_api.host, owner, PROGRESS, {"id": task["id"]}) as operation:
        first = data_of(await operation.next())
        assert first == task
        # The worker starts only now, so that the subscriber can see every step from the first.
        worker = worker_process(LOG_LEVEL="WARNING")
        states = [first, data_of(await operation.next(within=WORKER_START_TIMEOUT))]
        messages = await operation.until_done()
    assert worker.alive, worker.log()
    assert messages[-1] == {"id": "1", "type": "complete"}
    states += [data_of(message) for message in messages[:-1]]
    assert_progress_story(states)

    # Both API processes answer the same final state: the row is the truth, wherever it is read.
    for api in (first_api, second_api):
        async with httpx.AsyncClient(base_url=api.url, timeout=STEP_TIMEOUT) as client:
            response = await client.post(
                "/graphql",
                json={
                    "query": "query($id: UUID!) { subjectUploadTask(taskId: $id) { status processedItems } }",
                    "variables": {"id": task["id"]},
                },
                headers=owner.headers,
            )
        assert response.json()["data"]["subjectUploadTask"] == {"status": "COMPLETED", "processedItems": 45}
