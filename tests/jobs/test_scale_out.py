"""Scale-out: two API processes and one separate worker process on loopback, sharing only PostgreSQL, Redis and
the storage folder. A client subscribes on API #1, uploads through API #2, and the worker's progress reaches it
step by step through Redis pub/sub: no process keeps anything another one needs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.embedded import free_port
from core.settings import Settings
from tests.conftest import REPO_ROOT, Accounts, GraphQLClient
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

READY_TIMEOUT = 60.0
# A worker process takes a few seconds to import everything and connect before it picks the job up.
WORKER_START_TIMEOUT = 60.0


@dataclass
class ApiProcess:
    """`python -m uvicorn graph.app:app` on a loopback port, as a deployment runs it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    async def wait_ready(self) -> None:
        """Until /readyz answers 200 (database and Redis reachable)."""
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                assert self.process.poll() is None, f"API process exited:\n{self.log()}"
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                assert time.monotonic() < deadline, f"API process not ready in {READY_TIMEOUT}s:\n{self.log()}"
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def api_process(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], ApiProcess]]:
    """Start API processes with this session's settings; every one is stopped at the end."""
    started: list[ApiProcess] = []

    def start() -> ApiProcess:
        port = free_port()
        log_path = tmp_path / f"api-{len(started) + 1}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "uvicorn", "graph.app:app", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT,
                env=worker_environment(settings, LOG_LEVEL="WARNING"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        api = ApiProcess(process=process, port=port, log_path=log_path)
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
