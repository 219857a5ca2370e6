"""LoRA weights for subjects and styles: accepting an upload (the API side) and ingesting it (the job).

1. `accept_upload` (the mutations, superusers only): the entity must be live and not already `processing`;
   the file streams into `tmp/` under `settings.lora_max_bytes` (past it nothing is kept and the entity is
   untouched), then moves to `lora-staging/<subjects|styles>/<id>/<sha256>-<token>.<ext>`, a namespace that is
   never served. The entity becomes `processing` with that key in `lora_upload_key` and the new trigger, the
   transaction commits, and only then is the job queued (its id is the staging key, so a double enqueue is one
   job) and the change announced.
2. `ingest` (the job): acts only while the entity is `processing` for this very key, so a re-delivered or
   superseded job does nothing. The file is checked without being loaded (core/lora.py: a safetensors header is
   parsed as JSON under a size cap; pickle-based formats are recognised by their magic bytes and never
   unpickled), moved to `models/<subjects|styles>/<id>/<sha256>.<ext>`, and the entity becomes `ready` with that
   storage key as `localModelPath` and what the file holds in `lora_info`; or `failed` with the reason
   (`lora_error` for subjects, `training_error` for styles). A model file it replaces is removed once no row
   names it any more.

`localModelPath` is a storage key, relative to STORAGE_DIR: it stays right when the storage folder moves, and no
client-sent file name ever becomes part of a path.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, cast

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.lora import LoraFileError, LoraInfo, inspect_lora
from core.storage import Storage, TooLargeError, format_size
from db.base import utcnow
from db.models import Style, Subject, SubjectBaseImagesUploadTask
from db.models.enums import LoraStatus
from services.caller import Caller
from services.crud import get_visible
from services.errors import BadUserInputError, ConflictError, PayloadTooLargeError
from services.progress import announce, lora_channel
from services.queue import enqueue
from services.resources import Resources
from services.visibility import ensure_superuser

logger = logging.getLogger("services.lora")

EntityKind = Literal["subject", "style"]
EntityRow = Subject | Style

STAGING_NAMESPACE = "lora-staging"
MODELS_NAMESPACE = "models"
JOB_FUNCTION = "lora_ingest"
# A `processing` state this old has lost its job (a queue wiped, every retry spent): a new upload may replace it,
# and the old job, should it still run, finds its key superseded and does nothing.
PROCESSING_STALE_AFTER = timedelta(hours=1)

_STAGED_NAME = re.compile(r"(?P<sha>[0-9a-f]{64})-(?P<token>[0-9a-f]{32})\.(?P<ext>[a-z]{1,16})")


@dataclass(frozen=True)
class _Kind:
    name: EntityKind
    model: type[Subject] | type[Style]
    folder: str
    what: str


KINDS: dict[EntityKind, _Kind] = {
    "subject": _Kind("subject", Subject, "subjects", "Subject"),
    "style": _Kind("style", Style, "styles", "Style"),
}


# --- storage keys ----------------------------------------------------------------------------------------------


def staging_key(kind: EntityKind, entity_id: uuid.UUID, sha256: str, token: str, extension: str) -> str:
    return f"{STAGING_NAMESPACE}/{KINDS[kind].folder}/{entity_id}/{sha256}-{token}.{extension}"


def model_key(kind: EntityKind, entity_id: uuid.UUID, sha256: str, extension: str) -> str:
    return f"{MODELS_NAMESPACE}/{KINDS[kind].folder}/{entity_id}/{sha256}.{extension}"


def entity_folders(kind: EntityKind, entity_id: uuid.UUID) -> tuple[str, str]:
    """The storage folders holding an entity's LoRA files: its models and its staged uploads."""
    folder = KINDS[kind].folder
    return f"{MODELS_NAMESPACE}/{folder}/{entity_id}", f"{STAGING_NAMESPACE}/{folder}/{entity_id}"


def is_lora_key(key: str) -> bool:
    """Whether `key` names a file this pipeline wrote. `localModelPath` is also free text a superuser may set;
    only our own files are ever deleted."""
    return key.startswith((f"{MODELS_NAMESPACE}/", f"{STAGING_NAMESPACE}/"))


def _parse_staging_key(kind: EntityKind, entity_id: uuid.UUID, key: str) -> tuple[str, str]:
    """(sha256, extension) of a staging key for this entity; ValueError for anything else."""
    prefix = entity_folders(kind, entity_id)[1] + "/"
    match = _STAGED_NAME.fullmatch(key.removeprefix(prefix)) if key.startswith(prefix) else None
    if match is None:
        raise ValueError(f"not a LoRA staging key of this {kind}: {key!r}")
    return match["sha"], match["ext"]


async def keys_in_use(session: AsyncSession, keys: Collection[str]) -> set[str]:
    """The storage keys some row still names (deleted rows count: a restore brings their files back)."""
    if not keys:
        return set()
    columns = (
        Subject.local_model_path,
        Subject.lora_upload_key,
        Style.local_model_path,
        Style.lora_upload_key,
        SubjectBaseImagesUploadTask.archive_key,
    )
    selects = [select(column.label("key")).where(column.in_(keys)) for column in columns]
    return set(await session.scalars(union_all(*selects)))


async def delete_keys(storage: Storage, keys: Iterable[str]) -> None:
    """Delete stored files; keys naming nothing (missing, or not a safe key at all) are passed over."""
    for key in keys:
        if await storage.exists(key):
            await storage.delete(key)


async def remove_unused_files(resources: Resources, keys: Iterable[str]) -> None:
    """Delete those of our LoRA files (`is_lora_key`) that no row names; call after the commit that let go."""
    candidates = {key for key in keys if key and is_lora_key(key)}
    if not candidates:
        return
    async with resources.session_factory() as session:
        unused = candidates - await keys_in_use(session, candidates)
    await delete_keys(resources.storage, sorted(unused))


# --- entity state ----------------------------------------------------------------------------------------------


async def _load(
    session: AsyncSession, kind: EntityKind, entity_id: uuid.UUID, *, for_update: bool = False
) -> EntityRow | None:
    """The entity, deleted or not: an upload accepted before a soft delete still finishes (a restore finds it)."""
    row = await session.get(KINDS[kind].model, entity_id, with_for_update=for_update)
    return cast(EntityRow | None, row)


def _is_stale(row: EntityRow) -> bool:
    return row.updated_at < utcnow() - PROCESSING_STALE_AFTER


def _pending_for(row: EntityRow | None, key: str) -> bool:
    """Whether the entity still waits for the upload staged at `key`."""
    return row is not None and row.lora_status is LoraStatus.PROCESSING and row.lora_upload_key == key


def _set_processing(row: EntityRow, key: str, trigger: str) -> None:
    row.lora_trigger = trigger
    _set_state(row, LoraStatus.PROCESSING, upload_key=key, progress=0.0, error=None)


def _set_ready(row: EntityRow, key: str, info: dict[str, Any]) -> None:
    row.local_model_path = key
    row.lora_info = info
    _set_state(row, LoraStatus.READY, upload_key=None, progress=100.0, error=None)


def _set_failed(row: EntityRow, reason: str) -> None:
    # The previous model (if any) stays at localModelPath: it is still a valid file, and the status says the
    # latest upload failed.
    _set_state(row, LoraStatus.FAILED, upload_key=None, progress=None, error=reason)


def _set_state(
    row: EntityRow, status: LoraStatus, *, upload_key: str | None, progress: float | None, error: str | None
) -> None:
    """The LoRA state both kinds share; styles keep their progress and error in their training columns."""
    row.lora_status = status
    row.lora_upload_key = upload_key
    if isinstance(row, Style):
        if progress is not None:
            row.training_progress = progress
        row.training_error = error
    else:
        row.lora_error = error


def describe(info: LoraInfo, sha256: str) -> dict[str, Any]:
    """What `lora_info` keeps about a verified file."""
    return {
        "format": info.format,
        "tensor_count": info.tensor_count,
        "dtypes": list(info.dtypes),
        "parameter_count": info.parameter_count,
        "size_bytes": info.size_bytes,
        "sha256": sha256,
        "metadata": info.metadata,
    }


async def _announce(resources: Resources, kind: EntityKind, entity_id: uuid.UUID) -> None:
    await announce(resources.redis, lora_channel(resources.settings, kind, entity_id))


# --- the API side ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoraUpload:
    """An upload that passed the argument checks (the edge's job): an accepted extension, a trimmed trigger."""

    extension: str
    trigger: str
    chunks: AsyncIterator[bytes]


async def accept_upload(
    resources: Resources, caller: Caller, kind: EntityKind, entity_id: uuid.UUID, upload: LoraUpload
) -> EntityRow:
    """Stage the file and set the entity `processing`; answers the entity as committed (the job is queued)."""
    ensure_superuser(caller)
    spec = KINDS[kind]
    async with resources.session_factory() as session:
        row = await get_visible(session, caller, spec.model, entity_id, spec.what)
        _ensure_not_processing(row, kind)

    storage, max_bytes = resources.storage, resources.settings.lora_max_bytes
    try:
        staged = await storage.stage(upload.chunks, max_bytes=max_bytes)
    except TooLargeError as exc:
        raise PayloadTooLargeError(f"The LoRA file is larger than {format_size(max_bytes)}") from exc
    if staged.size == 0:
        staged.discard()
        raise BadUserInputError({"file": "the file is empty"})
    key = staging_key(kind, entity_id, staged.sha256, uuid.uuid4().hex, upload.extension)
    try:
        await storage.put(staged, key)
        async with resources.session_factory() as session, session.begin():
            # Checked again under the row lock: another upload may have won the race since the first look.
            row = await get_visible(session, caller, spec.model, entity_id, spec.what, for_update=True)
            _ensure_not_processing(row, kind)
            abandoned = row.lora_upload_key
            _set_processing(row, key, upload.trigger)
    except BaseException:
        staged.discard()
        await delete_keys(storage, [key])
        raise

    if abandoned:
        await remove_unused_files(resources, [abandoned])
    await _queue(resources, kind, entity_id, key)
    await _announce(resources, kind, entity_id)
    return row


def _ensure_not_processing(row: EntityRow, kind: EntityKind) -> None:
    if row.lora_status is LoraStatus.PROCESSING and not _is_stale(row):
        raise ConflictError(f"A LoRA file for this {kind} is already being processed; wait until it is ready or failed")


async def _queue(resources: Resources, kind: EntityKind, entity_id: uuid.UUID, key: str) -> None:
    try:
        await enqueue(resources.redis, resources.settings, JOB_FUNCTION, kind, str(entity_id), key, job_id=key)
    except Exception:
        # Without a job nothing would ever finish this upload: say so on the entity instead of leaving it
        # `processing`, then let the caller see the error.
        logger.exception("Could not queue the LoRA job for %s %s", kind, entity_id)
        await _finish_failed(
            resources, kind, entity_id, key, "the file could not be queued for checking; upload it again"
        )
        raise


# --- the job -----------------------------------------------------------------------------------------------------


async def ingest(resources: Resources, kind: EntityKind, entity_id: uuid.UUID, key: str) -> dict[str, Any]:
    """Check, store and record the upload staged at `key` (idempotent: see the module docstring)."""
    sha256, extension = _parse_staging_key(kind, entity_id, key)
    storage = resources.storage
    async with resources.session_factory() as session:
        row = await _load(session, kind, entity_id)
    if not _pending_for(row, key):
        # Finished by an earlier delivery, replaced by a newer upload, or the entity is gone.
        await delete_keys(storage, [key])
        return {"outcome": "superseded", "entity": kind, "id": str(entity_id)}

    target = model_key(kind, entity_id, sha256, extension)
    # A delivery that died between the move and the commit left the file at its model path already.
    source = key if await storage.exists(key) else target if await storage.exists(target) else None
    if source is None:
        return await _finish_failed(resources, kind, entity_id, key, "the uploaded file is missing; upload it again")
    try:
        # The header is read from a file (on a bucket, a copy made for this check and removed after it).
        async with storage.local_copy(source) as path:
            info = await asyncio.to_thread(inspect_lora, path, extension=extension)
    except LoraFileError as error:
        return await _finish_failed(resources, kind, entity_id, key, error.message)
    if source == key:
        # Same content may already be there (the same weights uploaded again): identical bytes replace them.
        await storage.move(key, target)
    return await _finish_ready(resources, kind, entity_id, key, target, describe(info, sha256))


async def _finish_ready(
    resources: Resources, kind: EntityKind, entity_id: uuid.UUID, key: str, target: str, info: dict[str, Any]
) -> dict[str, Any]:
    previous: str | None = None
    async with resources.session_factory() as session, session.begin():
        row = await _load(session, kind, entity_id, for_update=True)
        pending = _pending_for(row, key)
        if row is not None and pending:
            previous = row.local_model_path
            _set_ready(row, target, info)
    if not pending:
        # Replaced while it was being checked: the moved file goes unless a row names the same content.
        await remove_unused_files(resources, [target])
        return {"outcome": "superseded", "entity": kind, "id": str(entity_id)}
    await _announce(resources, kind, entity_id)
    if previous and previous != target:
        await remove_unused_files(resources, [previous])
    dtypes = ",".join(info["dtypes"]) or "not read"
    logger.info(
        "LoRA of %s %s is ready: %s, %s tensors, dtypes %s",
        kind,
        entity_id,
        info["format"],
        info["tensor_count"],
        dtypes,
    )
    return {"outcome": "ready", "entity": kind, "id": str(entity_id), "localModelPath": target, "info": info}


async def _finish_failed(
    resources: Resources, kind: EntityKind, entity_id: uuid.UUID, key: str, reason: str
) -> dict[str, Any]:
    async with resources.session_factory() as session, session.begin():
        row = await _load(session, kind, entity_id, for_update=True)
        pending = _pending_for(row, key)
        if row is not None and pending:
            _set_failed(row, reason)
    await delete_keys(resources.storage, [key])
    if not pending:
        return {"outcome": "superseded", "entity": kind, "id": str(entity_id)}
    await _announce(resources, kind, entity_id)
    logger.info("LoRA for %s %s failed: %s", kind, entity_id, reason)
    return {"outcome": "failed", "entity": kind, "id": str(entity_id), "reason": reason}


async def give_up(resources: Resources, kind: EntityKind, entity_id: uuid.UUID, key: str) -> dict[str, Any]:
    """Mark the upload failed after unexpected errors used up the job's tries (the details are in the log)."""
    return await _finish_failed(
        resources, kind, entity_id, key, "the file could not be stored (an internal error); upload it again"
    )
