"""The only module that knows the job queue is arq (arq is in maintenance mode: keep it replaceable).

The API enqueues through `enqueue` after the transaction that created a job's task has committed; the worker
(jobs/worker.py) takes its connection settings and queue name from here too. With tracing on, the job carries the
enqueuing request's trace context, so the worker's span of the job continues that trace.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis

from core.settings import Settings
from core.tracing import trace_carrier

# The keyword argument a queued job carries the trace context of the request that queued it in (core/tracing.py);
# jobs/observed.py takes it off before the job function is called, and continues that trace in the job's span.
TRACE_CONTEXT = "trace_context"


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.redis_url)


def queue_name(settings: Settings) -> str:
    # Prefixed like every other key, so deployments and test runs sharing one Redis never take each other's jobs.
    return f"{settings.redis_prefix}:queue"


async def enqueue(redis: Redis, settings: Settings, function: str, *args: Any, job_id: str | None = None) -> None:
    """Queue `function(*args)` for a worker. `job_id` makes it idempotent: the same id is queued at most once
    while it is pending or its result is kept."""
    queue = ArqRedis(connection_pool=redis.connection_pool, default_queue_name=queue_name(settings))
    carrier = trace_carrier()  # empty when tracing is off: then the job carries nothing more
    traced: dict[str, Any] = {TRACE_CONTEXT: carrier} if carrier else {}
    await queue.enqueue_job(function, *args, _job_id=job_id, **traced)
