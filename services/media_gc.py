"""Releasing stored media that nothing references any more.

A `MediaResource` row is in use while any column with a foreign key to `media_resources.id` points at it. Those
columns are found by introspecting the models' metadata, so a table added later is counted without anyone
remembering to list it here. A stored file (a content-addressed storage key) may back several rows (one per
user who sent the same content); it can go once no row names its key.

Files are deleted by the caller only after its transaction commits: a rolled-back transaction must never have
removed a file that its rows still name. Deciding to delete a file and recording a new row for the same content
both happen under one transaction-scoped advisory lock per storage key (`lock_storage_key`), so a file is never
deleted under a row that was just recorded for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from functools import cache

from sqlalchemy import Column, exists, false, func, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage import Storage
from db.base import Base
from db.models import MediaResource


@cache
def media_reference_columns() -> tuple[Column[uuid.UUID], ...]:
    """Every column of every model that holds a foreign key to `media_resources.id`."""
    target = MediaResource.__table__.c.id
    columns = [
        foreign_key.parent
        for table in Base.metadata.sorted_tables
        for foreign_key in table.foreign_keys
        if foreign_key.column is target
    ]
    return tuple(sorted(columns, key=lambda column: (column.table.name, column.name)))


async def media_in_use(session: AsyncSession, media_id: uuid.UUID) -> bool:
    """Whether any row anywhere references this media resource (one statement)."""
    checks = [exists().where(column == media_id) for column in media_reference_columns()]
    return bool(await session.scalar(select(or_(false(), *checks))))


async def _referenced(session: AsyncSession, media_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    selects = [select(column.label("media_id")).where(column.in_(media_ids)) for column in media_reference_columns()]
    return set(await session.scalars(union_all(*selects)))


async def release_media(session: AsyncSession, storage: Storage, media_ids: Iterable[uuid.UUID]) -> list[str]:
    """Delete the given media rows that nothing references (protected ones are kept), and answer the storage
    keys that no remaining row uses and that are stored: the caller deletes those files (`delete_files`) once
    it has committed.
    """
    wanted = set(media_ids)
    if not wanted:
        return []
    await session.flush()
    # Lock the candidates first: inserting a reference takes a KEY SHARE lock on the referenced row, so a
    # reference being added concurrently either committed before this (and is seen below) or waits for us.
    candidates = list(
        await session.scalars(
            select(MediaResource).where(MediaResource.id.in_(wanted)).order_by(MediaResource.id).with_for_update()
        )
    )
    if not candidates:
        return []
    in_use = await _referenced(session, [row.id for row in candidates])
    released = [row for row in candidates if row.id not in in_use and not row.protected]
    if not released:
        return []
    keys = {row.storage_key for row in released}
    for row in released:
        await session.delete(row)
    await session.flush()
    still_used = set(
        await session.scalars(select(MediaResource.storage_key).where(MediaResource.storage_key.in_(keys)).distinct())
    )
    return [key for key in sorted(keys - still_used) if await storage.exists(key)]


_LOCK_KEYS = text("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(CAST(:keys AS text[])) AS key")


async def lock_storage_key(session: AsyncSession, key: str) -> None:
    """Serialise, until the session's transaction ends, everyone recording or deleting this stored file."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def lock_storage_keys(session: AsyncSession, keys: Iterable[str]) -> None:
    """`lock_storage_key` for several files in one statement, in a fixed (sorted) order, so two transactions
    locking overlapping sets cannot each hold a key the other waits for."""
    wanted = sorted(set(keys))
    if len(wanted) == 1:
        await lock_storage_key(session, wanted[0])
    elif wanted:
        # A function scan yields the array's elements in order, and the locks are taken as the rows come.
        await session.execute(_LOCK_KEYS, {"keys": wanted})


async def delete_files(
    session_factory: async_sessionmaker[AsyncSession], storage: Storage, keys: Iterable[str]
) -> None:
    """Remove stored files named by `release_media`, after the transaction that released them committed.

    Each key is checked again under its lock: content re-sent since the release has a row again and stays.
    """
    for key in keys:
        async with session_factory() as session, session.begin():
            await lock_storage_key(session, key)
            if await session.scalar(select(exists().where(MediaResource.storage_key == key))):
                continue
            await storage.delete(key)
