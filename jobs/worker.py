"""The job worker: `python -m jobs.worker` (what `make run`, the image and docker-compose start).

arq's worker, made to outlive Redis outages (jobs/resilient.py), with our functions and cron jobs. Queued jobs
retry when PostgreSQL or Redis goes away (jobs/retrying.py); cron jobs skip that run.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from arq import cron
from arq.worker import get_kwargs

from core.collector import freeze_start_up
from core.logs import configure_logging
from core.settings import get_settings
from core.tracing import WORKER_SERVICE, Tracing, start_tracing
from jobs import lora_ingest
from jobs.metrics_server import MetricsServer, serve_metrics
from jobs.observed import observed_cron_jobs, observed_functions
from jobs.purge import purge_deleted
from jobs.reaper import reaper_cron
from jobs.resilient import ResilientWorker
from jobs.retrying import register, retry_on_outage, skipped_on_outage
from jobs.sweep import sweep_staging
from jobs.zip_ingest import job_function as zip_ingest_function
from services.queue import queue_name, redis_settings
from services.resources import Resources

_settings = get_settings()


async def startup(ctx: dict[str, Any]) -> None:
    # Before anything connects: the asyncpg and redis instrumentations wrap the drivers (core/tracing.py).
    ctx["tracing"] = start_tracing(WORKER_SERVICE)
    ctx["resources"] = resources = Resources.open(_settings)
    ctx["metrics_server"] = serve_metrics(_settings, resources)
    freeze_start_up("worker")


async def shutdown(ctx: dict[str, Any]) -> None:
    metrics_server: MetricsServer | None = ctx.get("metrics_server")
    if metrics_server is not None:
        await asyncio.to_thread(metrics_server.close)
    resources: Resources | None = ctx.get("resources")
    if resources is not None:
        await resources.close()
    tracing: Tracing | None = ctx.get("tracing")
    if tracing is not None:
        await asyncio.to_thread(tracing.flush)  # what the batch processor holds, before the process ends


class WorkerSettings:
    # Each logged at its start and end and counted by outcome (jobs/observed.py).
    functions: ClassVar[list[Any]] = observed_functions(
        [
            sweep_staging,
            register(lora_ingest.lora_ingest, _settings),
            register(retry_on_outage(purge_deleted), _settings),
            zip_ingest_function(_settings),
        ]
    )
    cron_jobs: ClassVar[list[Any]] = observed_cron_jobs(
        [
            cron(sweep_staging, minute={7, 37}, run_at_startup=True),
            cron(skipped_on_outage(purge_deleted), minute=23),
            reaper_cron(_settings),
        ]
    )
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(_settings) if _settings.redis_url else None
    queue_name = queue_name(_settings)
    # Progress should feel live: poll the queue more often than arq's default half second.
    poll_delay = 0.1
    max_jobs = 4
    # Functions without a timeout of their own; also bounds how soon arq re-runs a dead worker's job.
    job_timeout = _settings.job_timeout_seconds


def main() -> None:
    configure_logging(_settings)  # arq's lines and ours, in one format (core/logs.py)
    # The class's namespace, as get_kwargs reads a settings class (arq types one as a Protocol of instance
    # attributes, which a class of ClassVars is not), and its answer as what it is: arq annotates the values as
    # NameError.
    worker_kwargs: dict[str, Any] = get_kwargs(dict(vars(WorkerSettings)))
    ResilientWorker(**worker_kwargs).run()


if __name__ == "__main__":
    main()
