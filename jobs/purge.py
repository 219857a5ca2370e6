"""Permanent removal of subjects and styles soft-deleted longer than `settings.purge_retention_days` (cron).

Until then `restoreSubject` / `restoreStyle` bring them back whole. After it each goes with everything hanging off
it: its rows (measurements, base, data and portfolio images, upload tasks, style data images, guideline and set
links: the database cascades), its LoRA files (models and staged uploads, services/lora.py), its upload tasks'
staged archives, and the media nothing references any more (services/media_gc). Files go only after the
transaction that removed their rows has committed, and only those no remaining row names: a copied subject
shares its original's media, and a superuser may point two entities at one model file.

Safe to run any number of times, in any number of workers at once: each batch locks its rows with
`FOR UPDATE SKIP LOCKED`, so concurrent runs take disjoint batches, and a restore racing a batch either commits
first (the row is live again and no longer matches) or waits and then finds nothing to restore.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Select, delete, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import Storage
from db.base import utcnow
from db.models import SubjectBaseImagesUploadTask
from services import lora
from services.media_gc import delete_files, media_reference_columns, release_media
from services.resources import Resources

logger = logging.getLogger("jobs.purge")

BATCH_SIZE = 50


async def purge_deleted(ctx: dict[str, Any]) -> dict[str, int]:
    resources: Resources = ctx["resources"]
    return await purge(resources, older_than=timedelta(days=resources.settings.purge_retention_days))


async def purge(
    resources: Resources, *, older_than: timedelta, batch_size: int = BATCH_SIZE, now: datetime | None = None
) -> dict[str, int]:
    """Purge everything deleted before `now - older_than`, batch by batch; answers what went, by kind."""
    cutoff = (now or utcnow()) - older_than
    totals: Counter[str] = Counter()
    for kind in lora.KINDS:
        while True:
            batch = await _purge_batch(resources, kind, cutoff, batch_size)
            totals[f"{kind}s"] += len(batch.ids)
            totals["media_files"] += len(batch.media_keys)
            totals["other_files"] += len(batch.file_keys)
            # A short batch means nothing more is due, or the rest is locked by another run that will take it.
            if len(batch.ids) < batch_size:
                break
    result = {name: totals[name] for name in ("subjects", "styles", "media_files", "other_files")}
    if any(result.values()):
        logger.info("Purged %s", ", ".join(f"{count} {name}" for name, count in result.items()))
    return result


@dataclass
class _Batch:
    ids: list[uuid.UUID] = field(default_factory=list)
    media_keys: list[str] = field(default_factory=list)
    file_keys: list[str] = field(default_factory=list)


async def _purge_batch(resources: Resources, kind: lora.EntityKind, cutoff: datetime, batch_size: int) -> _Batch:
    model: Any = lora.KINDS[kind].model
    storage = resources.storage
    batch = _Batch()
    async with resources.session_factory() as session, session.begin():
        batch.ids = list(
            await session.scalars(
                select(model.id)
                .where(model.deleted_at.is_not(None), model.deleted_at < cutoff)
                .order_by(model.deleted_at, model.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        )
        if not batch.ids:
            return batch
        media_ids: set[uuid.UUID] = set(await session.scalars(union(*_media_queries(model, batch.ids))))
        candidates = await _file_keys(session, kind, batch.ids)
        candidates |= await _files_in_folders(storage, kind, batch.ids)
        await session.execute(delete(model).where(model.id.in_(batch.ids)))
        batch.media_keys = await release_media(session, storage, media_ids)
        batch.file_keys = sorted(candidates - await lora.keys_in_use(session, candidates))
    # Committed: the rows are gone for good, so their files may go.
    await delete_files(resources.session_factory, storage, batch.media_keys)
    await _delete_entity_files(storage, kind, batch.ids, batch.file_keys)
    return batch


def _media_queries(model: Any, ids: list[uuid.UUID]) -> list[Select[Any]]:
    """Every media reference of the rows and of the rows the database deletes with them (tables whose foreign
    key to `model` cascades). Found from the metadata, like media_gc's reference columns, so a table added later
    is covered; deeper cascades (grandchildren holding media) do not exist today."""
    parent = model.__table__
    queries: list[Select[Any]] = []
    for column in media_reference_columns():
        if column.table is parent:
            queries.append(select(column).where(parent.c.id.in_(ids), column.is_not(None)))
            continue
        for foreign_key in column.table.foreign_keys:
            if foreign_key.column is parent.c.id and foreign_key.ondelete == "CASCADE":
                owner: Column[uuid.UUID] = foreign_key.parent
                queries.append(select(column).where(owner.in_(ids), column.is_not(None)))
    return queries


async def _file_keys(session: AsyncSession, kind: lora.EntityKind, ids: list[uuid.UUID]) -> set[str]:
    """The stored files the rows name: LoRA models and staged uploads, the upload tasks' staged archives."""
    model: Any = lora.KINDS[kind].model
    keys: set[str] = set()
    rows = await session.execute(select(model.local_model_path, model.lora_upload_key).where(model.id.in_(ids)))
    for path, upload in rows:
        # A model path may be free text a superuser typed: only our own files are ever deleted.
        if path and lora.is_lora_key(path):
            keys.add(path)
        if upload:
            keys.add(upload)
    if kind == "subject":
        task = SubjectBaseImagesUploadTask
        keys.update(
            key
            for key in await session.scalars(select(task.archive_key).where(task.subject_id.in_(ids)))
            if key is not None
        )
    return keys


async def _files_in_folders(storage: Storage, kind: lora.EntityKind, ids: list[uuid.UUID]) -> set[str]:
    """Every file in the entities' own LoRA folders, strays included (an upload cut short between its move and
    its commit)."""
    keys: set[str] = set()
    for entity_id in ids:
        for folder in lora.entity_folders(kind, entity_id):
            keys.update(await storage.list_keys(folder))
    return keys


async def _delete_entity_files(storage: Storage, kind: lora.EntityKind, ids: list[uuid.UUID], keys: list[str]) -> None:
    await lora.delete_keys(storage, keys)
    for entity_id in ids:
        for folder in lora.entity_folders(kind, entity_id):
            # Kept when it still holds a file another row names.
            await storage.remove_empty_folder(folder)
