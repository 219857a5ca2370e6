"""Machines for the multi-machine test: each one an API process and a worker process, started with the commands a
deployment runs (`core.devrun.api_command`, `python -m jobs.worker`), with a local data folder of its own and
nothing else of its own. They share what separate machines share: PostgreSQL, Redis and one S3 bucket.

    async with machines_started(settings, s3_server.environment(bucket), folder, count=2) as (a, b):
        async with a.client() as through_a: ...        # a.api.host for websockets
        with b.worker_paused(): ...                     # only A's worker takes jobs meanwhile
        (await a.worker_metrics()).value("jobs_total", ...), a.local_files()
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.embedded import free_port
from core.settings import Settings
from tests.api_process import ApiProcess, start_api_process
from tests.jobs.conftest import WorkerProcess, start_worker_process, worker_environment
from tests.jobs.test_worker_metrics import serving
from tests.jobs.zip_helpers import files_under
from tests.scrapes import Scrape, scrape


@dataclass
class Machine:
    """One machine of the deployment: its API, its worker, and the local folder (DATA_DIR) they keep files in."""

    name: str
    data_dir: Path
    api: ApiProcess
    worker: WorkerProcess
    worker_metrics_port: int

    def client(self, timeout: float = 20.0) -> httpx.AsyncClient:
        """An HTTP client of this machine's API."""
        return httpx.AsyncClient(base_url=self.api.url, timeout=timeout)

    async def worker_metrics(self) -> Scrape:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await scrape(client, f"http://127.0.0.1:{self.worker_metrics_port}/metrics")

    def local_files(self) -> set[str]:
        """Every file on this machine's local disk under DATA_DIR (folders aside)."""
        return files_under(self.data_dir)

    @contextmanager
    def worker_paused(self) -> Iterator[None]:
        """The worker frozen (SIGSTOP) inside the block, as a worker busy elsewhere: it takes no job until the
        block ends (SIGCONT), so a test can watch a job from its first state."""
        self.worker.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.worker.process.send_signal(signal.SIGCONT)


def machine_environment(settings: Settings, shared: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    """A process's environment: the session's database, Redis and secret, the `shared` settings (the bucket),
    and `data_dir` as its own DATA_DIR, with no STORAGE_DIR: local storage, if any, follows DATA_DIR."""
    # Small pools: four processes share the test server's connections with the rest of the suite, and these few
    # requests and jobs need no more.
    env = worker_environment(settings, LOG_LEVEL="WARNING", DATA_DIR=str(data_dir), DATABASE_POOL_SIZE="5", **shared)
    del env["STORAGE_DIR"]  # the session's shared folder: a machine must not see another's disk
    return env


@asynccontextmanager
async def machines_started(
    settings: Settings, shared: Mapping[str, str], folder: Path, *, count: int
) -> AsyncIterator[list[Machine]]:
    """`count` machines, ready (each API answering /readyz, each worker serving its metrics); all stopped on exit.
    Logs go to `folder`, outside every DATA_DIR."""
    machines: list[Machine] = []
    try:
        for index in range(count):
            name = "ABCDEFGH"[index]
            data_dir = folder / f"machine-{name}"
            data_dir.mkdir()
            env = machine_environment(settings, shared, data_dir)
            metrics_port = free_port()
            api = start_api_process(env, folder / f"api-{name}.log")
            worker = start_worker_process(
                {**env, "WORKER_METRICS_PORT": str(metrics_port)}, folder / f"worker-{name}.log"
            )
            machines.append(Machine(name, data_dir, api, worker, metrics_port))
        await asyncio.gather(*(machine.api.wait_ready() for machine in machines))
        # A worker serves its metrics from arq's start-up hook: once it answers, it takes jobs.
        await asyncio.gather(*(serving(machine.worker_metrics_port, machine.worker) for machine in machines))
        yield machines
    finally:
        for machine in machines:
            machine.api.stop()
            machine.worker.stop()
