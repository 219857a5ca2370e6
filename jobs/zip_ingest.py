"""The arq job behind `uploadSubjectBaseImagesZip`: ingest the ZIP's images into the task's subject.

Layout (API.md, "Jobs and statuses"): an image whose name without extension is a shot type's name (one the
task's owner can see, any folder depth except portfolio/) becomes the subject's base image for that shot type;
images under portfolio/ become portfolio images; anything else is skipped with its reason. Folders and the root
metadata.json (read by the mutation) are not items. Every image goes through the one media path.

Idempotent (arq delivers at least once, and a job whose worker died is run again): every attempt starts over at
the first entry and converges on the same rows, because a media row is per (owner, content), a base image is one
row per (subject, shot type) that setting to the same media leaves alone, and a portfolio image is only added
when that media is not in the portfolio yet. Counters and resultData are recomputed by each attempt.

Progress is committed to the task row every PROGRESS_EVERY entries and at the end, then announced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from arq.worker import Function, func
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.archive import Archive, ArchiveEntry, ArchiveError, EntryError, open_archive
from core.images import ImageInfo, InvalidImageError, inspect_image
from core.settings import Settings
from core.storage import StagedFile
from db.base import utcnow
from db.models import ShotType, Subject
from db.models.enums import TaskStatus
from services.caller import Caller, load_caller
from services.errors import BadUserInputError
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
    stage_entry,
)

logger = logging.getLogger("jobs.zip_ingest")

JOB_NAME = INGEST_JOB
PROGRESS_EVERY = 20
# Images decoded at the same time by one job (Pillow releases the GIL while decoding).
INSPECT_AT_ONCE = max(2, os.cpu_count() or 1)
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
    return func(ingest_base_images_zip, name=JOB_NAME, timeout=settings.job_timeout_seconds + STOP_GRACE_SECONDS)


class JobFailure(Exception):
    """The task cannot be done; `message` becomes its errorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _Prepared:
    entry: ArchiveEntry
    shot_type: ShotType | None
    staged: StagedFile
    info: ImageInfo


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
    except Exception:
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
        opened = open_archive(self.resources.storage.path_for(archive_key), budget)
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
            if task.archive_key is None or not self.resources.storage.exists(task.archive_key):
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
        for start in range(0, len(items), PROGRESS_EVERY):
            batch = items[start : start + PROGRESS_EVERY]
            if not await self._apply_batch(owner, archive, shot_types, batch):
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

    async def _apply_batch(
        self, owner: Caller, archive: Archive, shot_types: dict[str, ShotType], batch: list[ArchiveEntry]
    ) -> bool:
        """Apply some entries and record the progress, in one transaction; False when the task was ended by
        someone else meanwhile (the reaper), which stops this attempt."""
        freed: list[str] = []
        # Decoding dominates; done here, before the transaction and INSPECT_AT_ONCE at a time, it uses every core
        # and overlaps the next entry's unpacking, instead of one entry after another inside the transaction.
        prepared = await self._prepare(archive, shot_types, batch)
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
                media = MediaService(session, self.resources, owner)
                portfolio: list[uuid.UUID] = []
                outcomes = [await self._apply(session, media, item, freed, portfolio) for item in prepared]
                assert self.subject_id is not None
                # One membership query, one position query and one insert for the whole batch.
                await add_portfolio_images(session, self.subject_id, portfolio)
                for outcome in outcomes:
                    self._count(outcome)
                if any(outcome.outcome != "skipped" for outcome in outcomes):
                    # Base and portfolio images are part of the subject: changing them is a change of the subject.
                    subject.updated_at = utcnow()
                self.counts.write_to(task)
        finally:
            for item in prepared:
                if isinstance(item, _Prepared):
                    item.staged.discard()  # consumed by from_staged; this is for an abandoned batch
        self.outcomes.extend(outcomes)
        await delete_files(self.resources.session_factory, self.resources.storage, freed)
        await announce_task(self.resources, self.task_id)
        return True

    async def _prepare(
        self, archive: Archive, shot_types: dict[str, ShotType], batch: list[ArchiveEntry]
    ) -> list[_Prepared | Outcome]:
        """Each entry staged (one after another: the archive keeps a running total) and inspected (several at
        once, in threads), or the reason it is skipped."""
        gate = asyncio.Semaphore(INSPECT_AT_ONCE)
        max_pixels = self.resources.settings.image_max_pixels

        async def inspect(entry: ArchiveEntry, shot_type: ShotType | None, staged: StagedFile) -> _Prepared | Outcome:
            async with gate:
                try:
                    info = await asyncio.to_thread(inspect_image, staged.path, max_pixels=max_pixels)
                except InvalidImageError as exc:
                    staged.discard()
                    return skipped(entry, exc.message)
            return _Prepared(entry, shot_type, staged, info)

        pending: list[asyncio.Future[_Prepared | Outcome]] = []
        loop = asyncio.get_running_loop()
        try:
            for entry in batch:
                checked = self._check(shot_types, entry)
                if isinstance(checked, Outcome):
                    done: asyncio.Future[_Prepared | Outcome] = loop.create_future()
                    done.set_result(checked)
                    pending.append(done)
                    continue
                max_bytes = self.resources.settings.media_max_bytes
                try:
                    staged = await asyncio.to_thread(
                        stage_entry, self.resources.storage, archive, entry, max_bytes=max_bytes
                    )
                except EntryError as exc:
                    failed: asyncio.Future[_Prepared | Outcome] = loop.create_future()
                    failed.set_result(skipped(entry, exc.message))
                    pending.append(failed)
                    continue
                pending.append(asyncio.ensure_future(inspect(entry, checked, staged)))
            return list(await asyncio.gather(*pending))
        except BaseException:
            for future in pending:
                future.cancel()
            results = await asyncio.gather(*pending, return_exceptions=True)
            for result in results:
                if isinstance(result, _Prepared):
                    result.staged.discard()
            raise

    def _check(self, shot_types: dict[str, ShotType], entry: ArchiveEntry) -> ShotType | Outcome | None:
        if entry.problem is not None:
            return skipped(entry, entry.problem)
        if entry.extension not in IMAGE_EXTENSIONS:
            return skipped(entry, NOT_AN_IMAGE)
        portfolio = is_portfolio(entry)
        shot_type = None if portfolio else shot_types.get(entry.stem.lower())
        if not portfolio and shot_type is None:
            return skipped(entry, f'no shot type named "{entry.stem}"')
        return shot_type

    async def _apply(
        self,
        session: AsyncSession,
        media: MediaService,
        item: _Prepared | Outcome,
        freed: list[str],
        portfolio: list[uuid.UUID],
    ) -> Outcome:
        if isinstance(item, Outcome):
            return item
        entry, shot_type, staged = item.entry, item.shot_type, item.staged
        try:
            row = await media.from_staged(staged, field=FIELD, info=item.info)
        except BadUserInputError as exc:
            return skipped(entry, exc.fields.get(FIELD, exc.message))
        assert self.subject_id is not None
        if shot_type is None:
            portfolio.append(row.id)
            return Outcome(entry.name, "portfolio")
        freed.extend(await set_base_image(session, self.resources, self.subject_id, shot_type.id, row.id))
        return Outcome(entry.name, "base_image", shot_type_id=shot_type.id)

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
