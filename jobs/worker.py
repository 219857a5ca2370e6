"""arq worker settings: `python -m arq jobs.worker.WorkerSettings` (what `make run` and the image start)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from arq import cron, func

from core.settings import get_settings
from jobs import lora_ingest
from jobs.purge import purge_deleted
from jobs.reaper import reaper_cron
from jobs.sweep import sweep_staging
from jobs.zip_ingest import job_function as zip_ingest_function
from services.queue import queue_name, redis_settings
from services.resources import Resources

_settings = get_settings()


async def startup(ctx: dict[str, Any]) -> None:
    # arq's CLI already installs a log handler; only the level of our own loggers is set here.
    for name in ("jobs", "services", "core"):
        logging.getLogger(name).setLevel(_settings.log_level)
    ctx["resources"] = Resources.open(_settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    resources: Resources | None = ctx.get("resources")
    if resources is not None:
        await resources.close()


class WorkerSettings:
    functions: ClassVar[list[Any]] = [
        sweep_staging,
        func(lora_ingest.lora_ingest, max_tries=lora_ingest.MAX_TRIES),
        purge_deleted,
        zip_ingest_function(_settings),
    ]
    cron_jobs: ClassVar[list[Any]] = [
        cron(sweep_staging, minute={7, 37}, run_at_startup=True),
        cron(purge_deleted, minute=23),
        reaper_cron(_settings),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(_settings) if _settings.redis_url else None
    queue_name = queue_name(_settings)
    # Progress should feel live: poll the queue more often than arq's default half second.
    poll_delay = 0.1
    max_jobs = 4
    # Functions without a timeout of their own; also bounds how soon arq re-runs a dead worker's job.
    job_timeout = _settings.job_timeout_seconds
