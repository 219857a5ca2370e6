"""The API and the worker, started as a deployment starts them, freeze what they built at start-up out of the
garbage collector's walks (core/collector.py) and say so in their log, with the count."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

from core.embedded import free_port
from core.settings import Settings
from tests.api_process import start_api_process
from tests.jobs.conftest import WorkerProcess, worker_environment

FROZEN = re.compile(r"(API|worker) started: (\d+) objects frozen out of the garbage collector's walks")
STARTED_WITHIN = 60.0
# Far fewer than either process builds at start-up (the schema, the models, the imported libraries): a line that
# froze next to nothing would mean it ran before the process was built.
AT_LEAST = 100_000


def frozen_counts(log: str) -> dict[str, int]:
    return {match[1]: int(match[2]) for match in FROZEN.finditer(log)}


async def test_the_api_freezes_its_start_up_objects_before_it_serves(settings: Settings, tmp_path: Path) -> None:
    api = start_api_process(worker_environment(settings, LOG_LEVEL="INFO"), tmp_path / "api.log")
    try:
        await api.wait_ready()
    finally:
        api.stop()
    counts = frozen_counts(api.log_path.read_text(errors="replace"))
    assert list(counts) == ["API"], api.log()
    assert counts["API"] >= AT_LEAST, api.log()


async def test_the_worker_freezes_its_start_up_objects(worker_process: Callable[..., WorkerProcess]) -> None:
    worker = worker_process(LOG_LEVEL="INFO", WORKER_METRICS_PORT=str(free_port()))
    deadline = time.monotonic() + STARTED_WITHIN
    try:
        while not frozen_counts(worker.log()):
            assert worker.alive, worker.log()
            assert time.monotonic() < deadline, worker.log()
            await asyncio.sleep(0.2)
    finally:
        worker.stop()
    counts = frozen_counts(worker.log())
    assert list(counts) == ["worker"], worker.log()
    assert counts["worker"] >= AT_LEAST, worker.log()
