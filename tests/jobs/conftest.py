"""Real arq workers for the job tests: in this process (burst mode, sharing the app's resources) or as a separate
`python -m jobs.worker` process with this session's settings, for the fault tests.

    async def test_x(run_jobs):                       # every queued job, run to completion, here
        await run_jobs()

    def test_y(worker_process):                       # a real worker process; killed at the end if still alive
        worker = worker_process(JOB_TIMEOUT_SECONDS="5")
        worker.kill()                                 # SIGKILL, as a lost machine would
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from arq.worker import Worker
from starlette.applications import Starlette

from core.settings import Settings
from jobs.worker import WorkerSettings
from services.queue import queue_name, redis_settings
from services.resources import Resources
from tests.conftest import REPO_ROOT

RunJobs = Callable[..., Awaitable[Worker]]


@pytest.fixture
def run_jobs(app: Starlette) -> RunJobs:
    """Run every queued job on one real arq worker in this process until the queue is empty (burst mode).

    The worker has every function the production worker has, and no cron jobs (tests call those directly).
    It shares the app's resources unless given others (e.g. the same ones with other settings).
    """

    async def run(resources: Resources | None = None) -> Worker:
        resources = resources or app.state.resources
        worker = Worker(
            functions=WorkerSettings.functions,
            redis_settings=redis_settings(resources.settings),
            queue_name=queue_name(resources.settings),
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
            job_timeout=resources.settings.job_timeout_seconds,
            ctx={"resources": resources},
        )
        try:
            await worker.main()
        finally:
            await worker.close()
        return worker

    return run


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is acknowledged, as when a machine is lost."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, arq's graceful stop."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def worker_environment(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment a worker process needs to share this session's database, Redis prefix and storage."""
    assert settings.database_url and settings.redis_url and settings.secret_key
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
        "STORAGE_DIR": str(settings.storage_dir),
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "JOB_TIMEOUT_SECONDS": str(settings.job_timeout_seconds),
        "JOB_REAP_MARGIN_SECONDS": str(settings.job_reap_margin_seconds),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


def start_worker_process(env: dict[str, str], log_path: Path) -> WorkerProcess:
    """`python -m jobs.worker` (the image's worker command) with this environment; its output goes to `log_path`."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return WorkerProcess(process=process, log_path=log_path)


@pytest.fixture
def worker_process(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes (`python -m jobs.worker`); keyword arguments override
    environment variables (e.g. JOB_TIMEOUT_SECONDS="5"). Any still running at the end is killed."""
    started: list[WorkerProcess] = []

    def start(**overrides: str) -> WorkerProcess:
        worker = start_worker_process(
            worker_environment(settings, **overrides), tmp_path / f"worker-{len(started) + 1}.log"
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.alive:
            worker.kill()
