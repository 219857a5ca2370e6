"""Jobs and outages: a job interrupted because PostgreSQL or Redis cannot be reached is run again later, not failed.

An outage (core/outages.py) is not the job's fault and usually lasts seconds (a restart, a failover), so the job
raises arq's `Retry` with a growing delay: JOB_OUTAGE_RETRY_SECONDS, doubled at each try, at most
MAX_DELAY_SECONDS. Its JOB_OUTAGE_MAX_TRIES-th try no longer retries: the job gives up with OUTAGE_GAVE_UP (a job
with a row to fail, like the ZIP ingest, records it there). Jobs are registered with that many tries
(`register`), so arq's own cap, which fails a job without running it and without a word in its row, is never
what stops one. Every job is idempotent (docs/design.md), which is what makes running it again safe.

    register(retry_on_outage(purge_deleted), settings)     # a job with nothing of its own to record on giving up

    except Exception as error:                       # a job that records its failure in a row
        if (retry := outage_retry(ctx, error, what="zip ingest")) is not None:
            raise retry from error
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from arq import Retry
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from core.outages import describe_outage, is_outage
from core.settings import Settings

logger = logging.getLogger("jobs.retrying")

T = TypeVar("T")

MAX_DELAY_SECONDS = 60.0
OUTAGE_GAVE_UP = "PostgreSQL or Redis stayed unreachable through {tries} tries; the job was stopped"


class OutageGaveUp(Exception):
    """An outage outlasted every try of a job."""


def job_try(ctx: dict[str, Any]) -> int:
    """Which try of its job this is (arq counts from 1)."""
    return int(ctx.get("job_try") or 1)


def _settings(ctx: dict[str, Any]) -> Settings:
    settings: Settings = ctx["resources"].settings
    return settings


def outage_delay(settings: Settings, attempt: int) -> float:
    """Seconds before try `attempt + 1`, after try `attempt` met an outage."""
    return float(min(settings.job_outage_retry_seconds * 2 ** (attempt - 1), MAX_DELAY_SECONDS))


def gave_up_message(ctx: dict[str, Any]) -> str:
    return OUTAGE_GAVE_UP.format(tries=job_try(ctx))


def outage_retry(ctx: dict[str, Any], error: BaseException, *, what: str) -> Retry | None:
    """The `Retry` a job should raise for `error`: when it is an outage and tries remain; else None (a bug, a bad
    input, or the last try: the job fails as it would anyway)."""
    if not is_outage(error):
        return None
    settings, attempt = _settings(ctx), job_try(ctx)
    if attempt >= settings.job_outage_max_tries:
        logger.error("%s: %s on try %d, the last one: giving up", what, describe_outage(error), attempt)
        return None
    delay = outage_delay(settings, attempt)
    # One line without a traceback: the cause is outside this code and named by the message.
    logger.warning("%s: %s on try %d; running it again in %.1fs", what, describe_outage(error), attempt, delay)
    return Retry(defer=delay)


@asynccontextmanager
async def retried_on_outage(ctx: dict[str, Any], what: str) -> AsyncIterator[None]:
    """Turn an outage inside the block into a `Retry`, or on the last try into OutageGaveUp (a clear failure)."""
    try:
        yield
    except Exception as error:
        retry = outage_retry(ctx, error, what=what)
        if retry is not None:
            raise retry from error
        if is_outage(error):
            raise OutageGaveUp(gave_up_message(ctx)) from error
        raise


def retry_on_outage(job: Callable[..., Awaitable[T]]) -> WorkerCoroutine:
    """`retried_on_outage` around a whole job `async def job(ctx, ...)`."""

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> T:
        async with retried_on_outage(ctx, job.__name__):
            return await job(ctx, *args, **kwargs)

    return run


def skipped_on_outage(job: Callable[..., Awaitable[T]]) -> WorkerCoroutine:
    """For a cron job: an outage skips this run with one warning (the next scheduled run does the work); a retry
    would only pile up behind it."""

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> T | None:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning("%s skipped: %s", job.__name__, describe_outage(error))
            return None

    return run


def register(job: WorkerCoroutine, settings: Settings, **options: Any) -> Function:
    """The job as the worker registers it: with as many tries as outages may take (see the module docstring)."""
    return func(job, max_tries=settings.job_outage_max_tries, **options)
