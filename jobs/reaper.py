"""Cron: upload tasks that no worker will finish are marked FAILED, so none stays PENDING or PROCESSING forever.

- PROCESSING since longer than the job timeout plus a margin: its worker died (SIGKILL, lost machine) or its
  job was dropped (arq gives up after max tries). A job that died is run again by arq once its in-progress key
  expires (the job's timeout + 10 s), which resets startedAt, so the margin is longer than that delay.
- PENDING for longer than the margin with no job in the queue: the job was lost before any worker took it (the
  enqueue after the commit failed, or Redis lost its data).

A task whose job is still waiting in the queue is left alone either way: a worker will run it (a busy queue is
slow, not dead).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from arq import cron
from arq.cron import CronJob
from arq.jobs import Job, JobStatus
from sqlalchemy import and_, or_, select

from core.settings import Settings
from db.base import utcnow
from db.models import SubjectBaseImagesUploadTask
from db.models.enums import TaskStatus
from jobs.retrying import skipped_on_outage
from services.queue import queue_name
from services.resources import Resources
from services.upload_tasks import announce_task, finish, release_archive

logger = logging.getLogger("jobs.reaper")

WORKER_STOPPED = "the worker stopped while processing; upload again"
JOB_LOST = "the upload was lost before a worker could process it; upload again"
# The job will run (again): not the reaper's business.
_WAITING = frozenset({JobStatus.queued, JobStatus.deferred})


def reaper_cron(settings: Settings) -> CronJob:
    """Every minute, and once when a worker starts (jobs/worker.py)."""
    return cron(skipped_on_outage(reap_upload_tasks), second=30, run_at_startup=True)


async def reap_upload_tasks(ctx: dict[str, Any]) -> int:
    """Fail the abandoned tasks; answers how many."""
    resources: Resources = ctx["resources"]
    settings = resources.settings
    now = utcnow()
    processing_before = now - timedelta(seconds=settings.job_timeout_seconds + settings.job_reap_margin_seconds)
    pending_before = now - timedelta(seconds=settings.job_reap_margin_seconds)
    Task = SubjectBaseImagesUploadTask
    reaped: list[tuple[uuid.UUID, str | None]] = []
    async with resources.session_factory() as session, session.begin():
        # SKIP LOCKED: a task whose job is writing its progress right now is alive by definition.
        candidates = await session.scalars(
            select(Task)
            .where(
                or_(
                    and_(Task.status == TaskStatus.PROCESSING, Task.started_at < processing_before),
                    and_(Task.status == TaskStatus.PENDING, Task.created_at < pending_before),
                )
            )
            .order_by(Task.created_at)
            .with_for_update(skip_locked=True)
        )
        for task in candidates:
            job_status = await Job(str(task.id), resources.redis, _queue_name=queue_name(settings)).status()
            if job_status in _WAITING:
                continue
            if task.status is TaskStatus.PENDING and job_status is JobStatus.in_progress:
                continue  # a worker took it a moment ago and is about to start it
            message = WORKER_STOPPED if task.status is TaskStatus.PROCESSING else JOB_LOST
            reaped.append((task.id, finish(task, TaskStatus.FAILED, error=message)))
    for task_id, archive_key in reaped:
        logger.warning("Upload task %s abandoned: marked FAILED", task_id)
        await announce_task(resources, task_id)
        await release_archive(resources, archive_key)
    return len(reaped)
