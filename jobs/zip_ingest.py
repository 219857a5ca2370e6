"""The arq job behind `uploadSubjectBaseImagesZip`: ingest the ZIP's images into the task's subject.

Layout (docs/api.md, "Jobs"): an image whose name without extension is a shot type's name (one the
task's owner can see, any folder depth except portfolio/) becomes the subject's base image for that shot type;
images under portfolio/ become portfolio images; anything else is skipped with its reason. Folders and the root
metadata.json (read by the mutation) are not items. Every image goes through the one media path.

Idempotent (arq delivers at least once, and a job whose worker died is run again): every attempt starts over at
the first entry and converges on the same rows, because a media row is per (owner, content), a base image is one
row per (subject, shot type) that setting to the same media leaves alone, and a portfolio image is only added
when that media is not in the portfolio yet. Counters and resultData are recomputed by each attempt. That is also
what makes an attempt cut short by PostgreSQL or Redis going away safe to run again (jobs/retrying.py).

Entries are staged and inspected ahead of time, in threads (jobs/zip_prepare.py); each transaction records
PROGRESS_EVERY of them with a few statements and commits the progress with them, which is then announced.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from arq.worker import Function
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.archive import Archive, ArchiveEntry, ArchiveError, open_archive
from core.outages import is_outage
from core.settings import Settings
from db.base import utcnow
from db.models import ShotType, Subject
from db.models.enums import TaskStatus
from jobs.observed import count_zip_images
from jobs.retrying import gave_up_message, outage_retry, register
from jobs.zip_prepare import Limits, Preparation, Prepared, Refused
from services.caller import Caller, load_caller
from services.media import MediaService
from services.media_gc import delete_files
from services.resources import Resources
from services.upload_tasks import (
    FINISHED,
    IMAGE_EXTENSIONS,
    INGEST_JOB,
    NOT_AN_IMAGE,
    Counts,
    add_portfolio_images,
    announce_task,
    archive_budget,
    fail_task,
    finish,
    is_portfolio,
    is_root_metadata,
    lock_task,
    release_archive,
    set_base_image,
    shot_types_by_name,
)

logger = logging.getLogger("jobs.zip_ingest")

JOB_NAME = INGEST_JOB
PROGRESS_EVERY = 20
# Images decoded at the same time by one job (Pillow releases the GIL while decoding): one more than the cores,
# so a core does not idle while a thread waits for the GIL (the palette of the dominant colour holds it) or
# the event loop; each costs one decoded image of memory.
INSPECT_AT_ONCE = (os.cpu_count() or 1) + 1
# Entries prepared ahead of the batch being recorded: the next batch, and the one after, so decoding never
# waits for a batch's last image or its transaction.
LOOKAHEAD = 2 * PROGRESS_EVERY
# arq's own timeout comes this much after the job's deadline, which leaves time to record the failure.
STOP_GRACE_SECONDS = 2
# core/archive.py's reason for folder entries: folders are not items of the task.
DIRECTORY = "directory"
FIELD = "file"

UNEXPECTED = "an unexpected error stopped the processing; upload again"
SUBJECT_GONE = "the subject was deleted before its images were processed"
OWNER_GONE = "the account that uploaded the archive is no longer active"
ARCHIVE_GONE = "the uploaded archive is no longer available; upload again"


def job_function(settings: Settings) -> Function:
    """The job as the worker registers it (jobs/worker.py)."""
    return register(
        ingest_base_images_zip, settings, name=JOB_NAME, timeout=settings.job_timeout_seconds + STOP_GRACE_SECONDS
    )


class JobFailure(Exception):
    """The task cannot be done; `message` becomes its errorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    name: str
    outcome: str  # base_image | portfolio | skipped
    shot_type_id: uuid.UUID | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "outcome": self.outcome}
        if self.shot_type_id is not None:
            data["shotTypeId"] = str(self.shot_type_id)
        if self.reason is not None:
            data["reason"] = self.reason
        return data


def skipped(entry: ArchiveEntry, reason: str) -> Outcome:
    return Outcome(entry.name, "skipped", reason=reason)


def _check(shot_types: dict[str, ShotType], entry: ArchiveEntry) -> ShotType | Refused | None:
    """What an entry becomes before anything is read: its shot type, None for a portfolio image, or refused."""
    if entry.problem is not None:
        return Refused(entry, entry.problem)
    if entry.extension not in IMAGE_EXTENSIONS:
        return Refused(entry, NOT_AN_IMAGE)
    portfolio = is_portfolio(entry)
    shot_type = None if portfolio else shot_types.get(entry.stem.lower())
    if not portfolio and shot_type is None:
        return Refused(entry, f'no shot type named "{entry.stem}"')
    return shot_type


async def ingest_base_images_zip(ctx: dict[str, Any], task_id: str) -> str:
    resources: Resources = ctx["resources"]
    run = _Run(resources, uuid.UUID(task_id))
    deadline = asyncio.timeout(resources.settings.job_timeout_seconds)
    try:
        async with deadline:
            return await run.execute()
    except TimeoutError:
        if deadline.expired():
            limit = resources.settings.job_timeout_seconds
            await run.fail(f"processing took longer than {limit} seconds and was stopped; upload a smaller archive")
        else:  # a timeout of something else (a connection): as unexpected as any other error
            logger.exception("Upload task %s failed unexpectedly", task_id)
            await run.fail(UNEXPECTED)
    except (JobFailure, ArchiveError) as exc:
        await run.fail(exc.message)
    except Exception as exc:
        if is_outage(exc):
            # The task stays PROCESSING while the job waits for its next try, which starts over (idempotent).
            retry = outage_retry(ctx, exc, what=f"Upload task {task_id}")
            if retry is not None:
                raise retry from exc
            await run.fail(f"{gave_up_message(ctx)}; upload again")
        else:
            logger.exception("Upload task %s failed unexpectedly", task_id)
            await run.fail(UNEXPECTED)
    return "failed"


@dataclass
class _Run:
    """One attempt at one task."""

    resources: Resources
    task_id: uuid.UUID
    counts: Counts = field(default_factory=Counts)
    outcomes: list[Outcome] = field(default_factory=list)
    subject_id: uuid.UUID | None = None

    async def execute(self) -> str:
        started = await self._start()
        if started is None:
            return "already finished"
        owner, archive_key = started
        budget = archive_budget(self.resources)
        # ZIP reading seeks: on a bucket the archive is copied down for the job, and the copy goes with it.
        async with self.resources.storage.local_copy(archive_key) as archive_path:
            opened = open_archive(archive_path, budget)
            archive = await asyncio.to_thread(opened.__enter__)
            try:
                return await self._process(owner, archive)
            finally:
                await asyncio.to_thread(opened.__exit__, None, None, None)

    async def fail(self, message: str) -> None:
        # Entries applied before the failure stay applied; resultData says which they were.
        result = self._result() if self.outcomes else None
        await fail_task(self.resources, self.task_id, message, result=result)

    def _result(self) -> dict[str, Any]:
        return {"subjectId": str(self.subject_id), "entries": [outcome.as_json() for outcome in self.outcomes]}

    async def _start(self) -> tuple[Caller, str] | None:
        """Take the task to PROCESSING (counters reset: this attempt starts over); None when it has ended."""
        async with self.resources.session_factory() as session, session.begin():
            task = await lock_task(session, self.task_id)
            if task is None:
                logger.warning("Upload task %s does not exist", self.task_id)
                return None
            if task.status in FINISHED:
                return None
            self.subject_id = task.subject_id
            subject = await session.get(Subject, task.subject_id)
            if subject is None or subject.deleted_at is not None:
                raise JobFailure(SUBJECT_GONE)
            owner = await load_caller(session, task.owner_id)
            if owner is None:
                raise JobFailure(OWNER_GONE)
            if task.archive_key is None or not await self.resources.storage.exists(task.archive_key):
                raise JobFailure(ARCHIVE_GONE)
            task.status = TaskStatus.PROCESSING
            task.started_at = utcnow()
            task.completed_at = None
            task.error_message = None
            task.result_data = None
            Counts().write_to(task)
            archive_key = task.archive_key
        await announce_task(self.resources, self.task_id)
        return owner, archive_key

    async def _process(self, owner: Caller, archive: Archive) -> str:
        items = [entry for entry in archive.entries if entry.problem != DIRECTORY and not is_root_metadata(entry)]
        self.counts = Counts(total=len(items))
        shot_types = await self._shot_types(owner, items)
        if not await self._write_progress():
            return "stopped"
        settings = self.resources.settings
        limits = Limits(
            max_bytes=settings.media_max_bytes,
            max_pixels=settings.image_max_pixels,
            lookahead=LOOKAHEAD,
            inspect_at_once=INSPECT_AT_ONCE,
        )
        check = functools.partial(_check, shot_types)
        async with Preparation(self.resources.storage, archive, items, check, limits) as preparation:
            for _ in range(0, len(items), PROGRESS_EVERY):
                if not await self._apply_batch(owner, await preparation.take(PROGRESS_EVERY)):
                    return "stopped"
        return await self._complete()

    async def _shot_types(self, owner: Caller, items: list[ArchiveEntry]) -> dict[str, ShotType]:
        names = {
            entry.stem
            for entry in items
            if entry.problem is None and entry.extension in IMAGE_EXTENSIONS and not is_portfolio(entry)
        }
        async with self.resources.session_factory() as session:
            subject = await session.get(Subject, self.subject_id)
            if subject is None:
                raise JobFailure(SUBJECT_GONE)
            return await shot_types_by_name(session, owner, subject, names)

    async def _write_progress(self) -> bool:
        async with self.resources.session_factory() as session, session.begin():
            task = await lock_task(session, self.task_id)
            if task is None or task.status is not TaskStatus.PROCESSING:
                return False
            self.counts.write_to(task)
        await announce_task(self.resources, self.task_id)
        return True

    async def _apply_batch(self, owner: Caller, batch: list[Prepared | Refused]) -> bool:
        """Record some prepared entries and the progress, in one transaction; False when the task was ended by
        someone else meanwhile (the reaper), which stops this attempt. The staged files are consumed."""
        freed: list[str] = []
        prepared = [item for item in batch if isinstance(item, Prepared)]
        try:
            async with self.resources.session_factory() as session, session.begin():
                task = await lock_task(session, self.task_id)
                if task is None or task.status is not TaskStatus.PROCESSING:
                    return False
                # Locked like addSubjectBaseImage does, so the two never race on one (subject, shot type).
                subject = await session.scalar(
                    select(Subject).where(Subject.id == self.subject_id, Subject.deleted_at.is_(None)).with_for_update()
                )
                if subject is None:
                    raise JobFailure(SUBJECT_GONE)
                outcomes = await self._record(session, owner, batch, prepared, freed)
                for outcome in outcomes:
                    self._count(outcome)
                if any(outcome.outcome != "skipped" for outcome in outcomes):
                    # Base and portfolio images are part of the subject: changing them is a change of the subject.
                    subject.updated_at = utcnow()
                self.counts.write_to(task)
        finally:
            for item in prepared:
                item.staged.discard()  # consumed by from_inspected; this is for an abandoned batch
        self.outcomes.extend(outcomes)
        count_zip_images(outcome.outcome for outcome in outcomes)
        await delete_files(self.resources.session_factory, self.resources.storage, freed)
        await announce_task(self.resources, self.task_id)
        return True

    async def _record(
        self,
        session: AsyncSession,
        owner: Caller,
        batch: list[Prepared | Refused],
        prepared: list[Prepared],
        freed: list[str],
    ) -> list[Outcome]:
        """The batch's media rows in a few statements, then its portfolio and base images, in archive order."""
        assert self.subject_id is not None
        media = MediaService(session, self.resources, owner)
        rows = await media.from_inspected([(item.staged, item.info) for item in prepared])
        media_of = {id(item): row.id for item, row in zip(prepared, rows, strict=True)}
        # Portfolio links first (one membership query, one position query, one insert): a base image replaced
        # further down then never releases media that this batch also put in the portfolio.
        portfolio = [media_of[id(item)] for item in prepared if item.shot_type is None]
        await add_portfolio_images(session, self.subject_id, portfolio)
        outcomes: list[Outcome] = []
        for item in batch:
            if isinstance(item, Refused):
                outcomes.append(skipped(item.entry, item.reason))
            elif item.shot_type is None:
                outcomes.append(Outcome(item.entry.name, "portfolio"))
            else:
                shot_type_id = item.shot_type.id
                media_id = media_of[id(item)]
                freed.extend(await set_base_image(session, self.resources, self.subject_id, shot_type_id, media_id))
                outcomes.append(Outcome(item.entry.name, "base_image", shot_type_id=shot_type_id))
        return outcomes

    def _count(self, outcome: Outcome) -> None:
        self.counts.processed += 1
        if outcome.outcome == "base_image":
            self.counts.base_images += 1
        elif outcome.outcome == "portfolio":
            self.counts.portfolio_images += 1
        else:
            self.counts.skipped += 1

    async def _complete(self) -> str:
        async with self.resources.session_factory() as session, session.begin():
            task = await lock_task(session, self.task_id)
            if task is None or task.status is not TaskStatus.PROCESSING:
                return "stopped"
            self.counts.write_to(task)
            task.result_data = self._result()
            archive_key = finish(task, TaskStatus.COMPLETED)
        await announce_task(self.resources, self.task_id)
        await release_archive(self.resources, archive_key)
        return "completed"
