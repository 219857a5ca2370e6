"""Base-image upload tasks: creating them, reading them with visibility, and the writes their job makes.

The task row is the truth a client polls or subscribes to; every change is committed first, then announced
(services/progress.py). The uploaded ZIP waits in the `uploads` storage namespace (never served) under a
content address, so two uploads of the same bytes share one file: it is removed only when no unfinished task
still names it, under an advisory lock that the mutation storing it takes too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.archive import Archive, ArchiveBudget, ArchiveEntry, EntryTooLargeError
from core.storage import StagedFile, Storage, TooLargeError, content_key
from db.base import utcnow
from db.models import (
    ShotType,
    Subject,
    SubjectBaseImage,
    SubjectBaseImagesUploadTask,
    SubjectPortfolioImage,
)
from db.models.enums import TaskStatus
from services.caller import Caller
from services.crud import get_visible
from services.errors import NotFoundError
from services.media_gc import lock_storage_key, release_media
from services.progress import announce, task_channel
from services.resources import Resources
from services.subjects import WHAT as SUBJECT
from services.visibility import object_filter

WHAT = "Upload task"
# The arq function that processes a task (jobs/zip_ingest.py), enqueued with the task's id as job id.
INGEST_JOB = "ingest_base_images_zip"
UPLOADS_NAMESPACE = "uploads"
ARCHIVE_EXTENSION = "zip"
FINISHED = (TaskStatus.COMPLETED, TaskStatus.FAILED)
UNFINISHED = (TaskStatus.PENDING, TaskStatus.PROCESSING)


# The ZIP layout (docs/api.md, "Jobs"). Only these extensions are read as images at all; the content
# then decides (services/media.py), so a text file named `front_full_body.png` is skipped with its reason.
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "gif"})
NOT_AN_IMAGE = "not an image (only .jpg, .jpeg, .png, .webp and .gif files are read)"
PORTFOLIO_FOLDER = "portfolio"
METADATA_NAME = "metadata.json"


def is_root_metadata(entry: ArchiveEntry) -> bool:
    # By the raw name: `/metadata.json` or `../metadata.json` are hostile entries, not the subject's metadata.
    return entry.name.lower() == METADATA_NAME


def is_portfolio(entry: ArchiveEntry) -> bool:
    return entry.top_folder is not None and entry.top_folder.lower() == PORTFOLIO_FOLDER


def stage_entry(storage: Storage, archive: Archive, entry: ArchiveEntry, *, max_bytes: int) -> StagedFile:
    """Copy one entry's bytes into a staged file (blocking: run it in a thread). Raises `EntryError` (skip the
    entry) or `ArchiveError` (the archive's budget is spent)."""
    with archive.open(entry, max_bytes=max_bytes) as reader:
        try:
            return storage.stage_reader(reader, max_bytes=max_bytes)
        except TooLargeError as exc:
            raise EntryTooLargeError(exc.message) from exc


def archive_budget(resources: Resources) -> ArchiveBudget:
    """The reading budget for uploaded ZIPs; an entry is never larger than an image may be."""
    settings = resources.settings
    return ArchiveBudget(
        max_entries=settings.zip_max_entries,
        max_total_uncompressed=settings.zip_max_uncompressed_bytes,
        max_entry_uncompressed=settings.media_max_bytes,
        max_compression_ratio=settings.zip_max_compression_ratio,
    )


# --- creating and reading --------------------------------------------------------------------------------------


async def create_task(
    session: AsyncSession, resources: Resources, caller: Caller, subject: Subject, staged: StagedFile
) -> SubjectBaseImagesUploadTask:
    """Store the staged ZIP for the worker and record its PENDING task (inside the caller's transaction; enqueue
    the job only after it commits). The staged file is consumed."""
    key = archive_key_for(staged)
    # Held to the commit: a job finishing with the same content cannot delete the file in between.
    await lock_storage_key(session, key)
    stored = await resources.storage.commit(staged, extension=ARCHIVE_EXTENSION, namespace=UPLOADS_NAMESPACE)
    task = SubjectBaseImagesUploadTask(
        owner_id=caller.id, subject_id=subject.id, status=TaskStatus.PENDING, archive_key=stored
    )
    session.add(task)
    await session.flush()
    return task


def archive_key_for(staged: StagedFile) -> str:
    """The storage key `create_task` stores the ZIP under (a content address)."""
    return content_key(staged.sha256, ARCHIVE_EXTENSION, UPLOADS_NAMESPACE)


def visible_tasks(caller: Caller) -> ColumnElement[bool]:
    """Tasks a caller may read: their own, and those of subjects they may see; superusers read all."""
    if caller.is_superuser:
        return true()
    subject_visible = exists().where(
        Subject.id == SubjectBaseImagesUploadTask.subject_id, object_filter(caller, Subject)
    )
    return or_(SubjectBaseImagesUploadTask.owner_id == caller.id, subject_visible)


async def get_task(session: AsyncSession, caller: Caller, task_id: uuid.UUID) -> SubjectBaseImagesUploadTask:
    task = await session.scalar(
        select(SubjectBaseImagesUploadTask).where(SubjectBaseImagesUploadTask.id == task_id, visible_tasks(caller))
    )
    if task is None:
        raise NotFoundError(WHAT)
    return task


async def latest_task(
    session: AsyncSession, caller: Caller, subject_id: uuid.UUID, *, organization_id: uuid.UUID | None
) -> SubjectBaseImagesUploadTask:
    subject = await get_visible(session, caller, Subject, subject_id, SUBJECT, organization_id=organization_id)
    task = await session.scalar(
        select(SubjectBaseImagesUploadTask)
        .where(SubjectBaseImagesUploadTask.subject_id == subject.id)
        .order_by(SubjectBaseImagesUploadTask.created_at.desc(), SubjectBaseImagesUploadTask.id.desc())
        .limit(1)
    )
    if task is None:
        raise NotFoundError(WHAT)
    return task


# --- what the job writes ---------------------------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    processed: int = 0
    base_images: int = 0
    portfolio_images: int = 0
    skipped: int = 0

    def write_to(self, task: SubjectBaseImagesUploadTask) -> None:
        task.total_items = self.total
        task.processed_items = self.processed
        task.images_processed = self.base_images
        task.portfolio_images_processed = self.portfolio_images
        task.images_skipped = self.skipped
        # 100 is kept for COMPLETED, so a client never reads "100 %" from a task that is still running.
        task.progress = min(99, self.processed * 100 // self.total) if self.total else 0


async def lock_task(session: AsyncSession, task_id: uuid.UUID) -> SubjectBaseImagesUploadTask | None:
    return await session.scalar(
        select(SubjectBaseImagesUploadTask).where(SubjectBaseImagesUploadTask.id == task_id).with_for_update()
    )


def finish(task: SubjectBaseImagesUploadTask, status: TaskStatus, *, error: str | None = None) -> str | None:
    """End the task (COMPLETED or FAILED); answers the archive key to release once this commits."""
    key = task.archive_key
    task.status = status
    task.error_message = error
    task.completed_at = utcnow()
    task.archive_key = None
    if status is TaskStatus.COMPLETED:
        task.progress = 100
    return key


async def fail_task(
    resources: Resources, task_id: uuid.UUID, message: str, *, result: dict[str, Any] | None = None
) -> bool:
    """Mark an unfinished task FAILED with `message` (and `result` as its resultData), announce it and release
    its archive; False when it had already ended (nothing changes then)."""
    async with resources.session_factory() as session, session.begin():
        task = await lock_task(session, task_id)
        if task is None or task.status in FINISHED:
            return False
        key = finish(task, TaskStatus.FAILED, error=message)
        task.result_data = result
    await announce_task(resources, task_id)
    await release_archive(resources, key)
    return True


async def announce_task(resources: Resources, task_id: uuid.UUID) -> None:
    await announce(resources.redis, task_channel(resources.settings, task_id))


# --- the staged archive ----------------------------------------------------------------------------------------


async def release_archive(resources: Resources, key: str | None) -> None:
    """Delete a stored ZIP once no unfinished task names it (call after the commit that let go of it)."""
    if key is None:
        return
    async with resources.session_factory() as session, session.begin():
        await lock_storage_key(session, key)
        needed = await session.scalar(
            select(
                exists().where(
                    SubjectBaseImagesUploadTask.archive_key == key,
                    SubjectBaseImagesUploadTask.status.in_(UNFINISHED),
                )
            )
        )
        if not needed:
            # Inside the lock: a mutation storing the same content waits, then writes the file anew.
            await resources.storage.delete(key)


# --- applying entries to the subject ---------------------------------------------------------------------------


async def shot_types_by_name(
    session: AsyncSession, owner: Caller, subject: Subject, names: Iterable[str]
) -> dict[str, ShotType]:
    """The shot type each lowercase name resolves to, among those the owner can see. Several can share a name:
    the subject's organization's wins, then the owner's own, then the system defaults, then any other
    (oldest first), so a name always resolves the same way."""
    wanted = {name.lower() for name in names}
    if not wanted:
        return {}
    preference = case(
        (
            and_(ShotType.organization_id.is_not(None), ShotType.organization_id == subject.organization_id),
            0,
        ),
        (and_(ShotType.organization_id.is_(None), ShotType.owner_id == owner.id), 1),
        (ShotType.owner_id.is_(None), 2),
        else_=3,
    )
    rows = await session.scalars(
        select(ShotType)
        .where(func.lower(ShotType.name).in_(wanted), object_filter(owner, ShotType))
        .order_by(preference, ShotType.created_at, ShotType.id)
    )
    found: dict[str, ShotType] = {}
    for row in rows:
        found.setdefault(row.name.lower(), row)
    return found


async def set_base_image(
    session: AsyncSession, resources: Resources, subject_id: uuid.UUID, shot_type_id: uuid.UUID, media_id: uuid.UUID
) -> list[str]:
    """Make `media_id` the subject's base image for the shot type (the same media again changes nothing);
    answers storage keys freed by the replaced image, to delete after the commit (media_gc.delete_files)."""
    existing = await session.scalar(
        select(SubjectBaseImage).where(
            SubjectBaseImage.subject_id == subject_id, SubjectBaseImage.shot_type_id == shot_type_id
        )
    )
    if existing is None:
        session.add(SubjectBaseImage(subject_id=subject_id, shot_type_id=shot_type_id, media_id=media_id))
        await session.flush()
        return []
    if existing.media_id == media_id:
        return []
    previous = existing.media_id
    existing.media_id = media_id
    return await release_media(session, resources.storage, [previous])


async def add_portfolio_images(session: AsyncSession, subject_id: uuid.UUID, media_ids: list[uuid.UUID]) -> None:
    """Append, in order, those media not in the subject's portfolio yet: one query for membership, one for the
    last position and one insert, however many there are (a ZIP job applies a batch of entries at once)."""
    wanted = list(dict.fromkeys(media_ids))
    if not wanted:
        return
    present = set(
        await session.scalars(
            select(SubjectPortfolioImage.media_id).where(
                SubjectPortfolioImage.subject_id == subject_id, SubjectPortfolioImage.media_id.in_(wanted)
            )
        )
    )
    new = [media_id for media_id in wanted if media_id not in present]
    if not new:
        return
    last = await session.scalar(
        select(func.max(SubjectPortfolioImage.position)).where(SubjectPortfolioImage.subject_id == subject_id)
    )
    first = 0 if last is None else last + 1
    session.add_all(
        SubjectPortfolioImage(subject_id=subject_id, media_id=media_id, position=first + index)
        for index, media_id in enumerate(new)
    )
    await session.flush()
