"""Every job, observed: a log line at its start and its end, its count by outcome and its duration (README,
"Operating it").

The worker registers its functions and cron jobs through `observed_functions` / `observed_cron_jobs`, which wrap
each job's coroutine (with tracing on, in a span: jobs/traced.py). The wrapper runs inside the job's own task, so
the fields it binds (job id, function, the task the job works on) are on every line the job logs (core/logs.py),
and it sees how the job really ended:
  complete   returned (a ZIP whose task FAILED cleanly, with its reason in the row, is a complete job)
  retried    raised arq's Retry (an outage, or a LoRA job trying again): arq runs it again later
  failed     raised anything else
  cancelled  stopped from outside: the job's time limit, the worker shutting down, or an abort
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar

from arq import Retry
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, func
from prometheus_client import Counter, Histogram

from core.logs import log_fields
from jobs.traced import traced_job
from services.queue import TRACE_CONTEXT

logger = logging.getLogger("jobs.observed")

COMPLETE: Final = "complete"
RETRIED: Final = "retried"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"

# A job's arguments that say what it works on, and their names on its log lines. Others (a staged file's key)
# stay out of the lines.
LOGGED_ARGUMENTS: Mapping[str, str] = {"task_id": "task_id", "kind": "entity_kind", "entity_id": "entity_id"}

# From a sweep of a few milliseconds to a ZIP of a thousand images near JOB_TIMEOUT_SECONDS (600).
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200)

JOBS = Counter("jobs", "Jobs run, by function and outcome", ["function", "outcome"], registry=None)
JOB_DURATION = Histogram(
    "job_duration_seconds", "Job run time, by function", ["function"], buckets=DURATION_BUCKETS, registry=None
)
# Counted by the ZIP job as each batch of entries commits (jobs/zip_ingest.py); a job run again counts again.
ZIP_IMAGES = Counter(
    "zip_images_processed",
    "ZIP entries processed, by outcome (base_image, portfolio, skipped)",
    ["outcome"],
    registry=None,
)
PROCESS_METRICS = (JOBS, JOB_DURATION, ZIP_IMAGES)

Job = TypeVar("Job", Function, CronJob)


def observed_functions(functions: Iterable[Function | WorkerCoroutine]) -> list[Function]:
    return [_observed(func(function)) for function in functions]


def observed_cron_jobs(jobs: Iterable[CronJob]) -> list[CronJob]:
    return [_observed(job) for job in jobs]


def _observed(job: Job) -> Job:
    return dataclasses.replace(job, coroutine=_observing(job.name, job.coroutine))


def _observing(name: str, coroutine: WorkerCoroutine) -> WorkerCoroutine:
    signature = inspect.signature(coroutine)

    @functools.wraps(coroutine)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        # Queued with tracing on, the job carries its request's trace context: for the span, not the function.
        carrier = kwargs.pop(TRACE_CONTEXT, None)
        bound = signature.bind_partial(ctx, *args, **kwargs).arguments
        subjects = {field: str(bound[argument]) for argument, field in LOGGED_ARGUMENTS.items() if argument in bound}
        with (
            traced_job(name, ctx, subjects, carrier) as record_outcome,
            log_fields(job_id=ctx.get("job_id"), job_function=name, **subjects),
        ):
            logger.info("job %s started (try %s)", name, ctx.get("job_try"), extra={"job_try": ctx.get("job_try")})
            started = time.perf_counter()
            outcome = FAILED
            try:
                result = await coroutine(ctx, *args, **kwargs)
                outcome = COMPLETE
                return result
            except Retry:
                outcome = RETRIED
                raise
            except asyncio.CancelledError:
                outcome = CANCELLED
                raise
            finally:
                seconds = time.perf_counter() - started
                record_outcome(outcome, outcome == FAILED)
                JOBS.labels(name, outcome).inc()
                JOB_DURATION.labels(name).observe(seconds)
                duration_ms = round(seconds * 1000, 3)
                logger.info(
                    "job %s %s in %.1f ms",
                    name,
                    outcome,
                    duration_ms,
                    extra={"job_try": ctx.get("job_try"), "outcome": outcome, "duration_ms": duration_ms},
                )

    return run


def count_zip_images(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        ZIP_IMAGES.labels(outcome).inc()
