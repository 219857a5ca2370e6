"""Preparing a ZIP job's entries ahead of its transactions (jobs/zip_ingest.py).

Each entry is staged out of the archive (inflated, hashed, written under tmp/) and its image inspected
(identify, verify, full decode, dominant colour) in one go, in one of `inspect_at_once` threads (zlib, hashing
and Pillow's decoders release the GIL), several entries at once. A feeder hands entries to the threads in
archive order, at most `lookahead` ahead of the batch being recorded; results are taken in archive order.
Decoding dominates the job, so it goes on while a batch's transaction runs and across the batches' boundaries,
and no single thread (a lone stager) sets the pace when the cores are shared with other processes.

Bounded: at most `lookahead` entries (staged files on disk, plus their `ImageInfo`) wait ahead of the batch being
recorded, and at most `inspect_at_once` images are decoded in memory at a time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

from core.archive import Archive, ArchiveEntry, EntryError
from core.images import ImageInfo, InvalidImageError, inspect_image
from core.storage import StagedFile, Storage
from db.models import ShotType
from services.upload_tasks import stage_entry

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """An entry staged and accepted by `inspect_image`: what its transaction records."""

    entry: ArchiveEntry
    shot_type: ShotType | None  # None: a portfolio image
    staged: StagedFile
    info: ImageInfo


@dataclass(frozen=True)
class Refused:
    """An entry that is skipped, and why."""

    entry: ArchiveEntry
    reason: str


# What an entry becomes before anything is read: its shot type (None for a portfolio image), or refused.
Check = Callable[[ArchiveEntry], ShotType | Refused | None]


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # per image, inflated
    max_pixels: int
    lookahead: int
    inspect_at_once: int


class Preparation:
    """`async with Preparation(...) as preparation:` then `await preparation.take(n)` batch after batch."""

    def __init__(
        self, storage: Storage, archive: Archive, entries: list[ArchiveEntry], check: Check, limits: Limits
    ) -> None:
        self._storage = storage
        self._archive = archive
        self._entries = entries
        self._check = check
        self._limits = limits
        loop = asyncio.get_running_loop()
        self._results: list[asyncio.Future[Prepared | Refused]] = [loop.create_future() for _ in entries]
        self._handed_out = 0
        self._room = asyncio.Semaphore(limits.lookahead)
        self._gate = asyncio.Semaphore(limits.inspect_at_once)
        self._preparing: set[asyncio.Task[None]] = set()
        self._feeder: asyncio.Task[None] | None = None
        self._stopped = False
        # Threads of their own rather than the loop's shared pool: only these few ever decode, so only their
        # malloc arenas keep decoded images' freed memory around (the worker's peak stays that of
        # `inspect_at_once` images, whatever else runs in threads meanwhile).
        self._threads = ThreadPoolExecutor(limits.inspect_at_once, thread_name_prefix="zip-prepare")

    async def __aenter__(self) -> Preparation:
        self._feeder = asyncio.create_task(self._feed())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    async def take(self, count: int) -> list[Prepared | Refused]:
        """The next `count` entries in archive order, once each is ready. The caller owns the staged files of
        what it gets. Raises what stopped the preparation (`ArchiveError`: the budget is spent) at the entry that
        met it, so the entries before it are taken (and recorded) first."""
        futures = self._results[self._handed_out : self._handed_out + count]
        # Shielded: a cancelled job must not cancel an entry's result, which `close` discards once it is in.
        results = [await asyncio.shield(future) for future in futures]
        self._handed_out += len(futures)
        for _ in futures:
            self._room.release()
        return results

    async def close(self) -> None:
        """Stop preparing and discard what was prepared but not handed out (a job stopped or failed early)."""
        tasks = [task for task in (self._feeder, *self._preparing) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Abandoned threads (a stopped job) finish their entry in the background and undo it (`_in_thread`).
        self._threads.shutdown(wait=False)
        for future in self._results[self._handed_out :]:
            if not future.done():
                future.cancel()
            elif not future.cancelled() and future.exception() is None:  # also retrieves an unused error
                result = future.result()
                if isinstance(result, Prepared):
                    result.staged.discard()

    async def _feed(self) -> None:
        for entry, result in zip(self._entries, self._results, strict=True):
            await self._room.acquire()
            if self._stopped:
                # No entry after one that stopped the preparation is started; the job stops at that entry.
                return
            checked = self._check(entry)
            if isinstance(checked, Refused):
                result.set_result(checked)
                continue
            await self._gate.acquire()
            task = asyncio.create_task(self._prepare(entry, checked, result))
            self._preparing.add(task)
            task.add_done_callback(self._preparing.discard)

    async def _prepare(
        self, entry: ArchiveEntry, shot_type: ShotType | None, result: asyncio.Future[Prepared | Refused]
    ) -> None:
        work = functools.partial(_stage_and_inspect, self._storage, self._archive, entry, self._limits)
        try:
            staged, info = await _in_thread(self._threads, work, undo=_discard)
        except (EntryError, InvalidImageError) as exc:
            _settle(result, Refused(entry, exc.message))
        except Exception as exc:
            # ArchiveError (the budget is spent) or something unexpected: the job meets it at this entry.
            self._stopped = True
            if not result.done():
                result.set_exception(exc)
        else:
            if not _settle(result, Prepared(entry, shot_type, staged, info)):
                staged.discard()
        finally:
            self._gate.release()


def _settle(result: asyncio.Future[Prepared | Refused], value: Prepared | Refused) -> bool:
    """Give an entry its result; False when `close` cancelled it meanwhile (nobody takes it any more)."""
    if result.done():
        return False
    result.set_result(value)
    return True


def _stage_and_inspect(
    storage: Storage, archive: Archive, entry: ArchiveEntry, limits: Limits
) -> tuple[StagedFile, ImageInfo]:
    """In a worker thread: the entry staged and inspected, or `EntryError`/`InvalidImageError` (nothing kept)."""
    staged = stage_entry(storage, archive, entry, max_bytes=limits.max_bytes)
    try:
        return staged, inspect_image(staged.path, max_pixels=limits.max_pixels)
    except BaseException:
        staged.discard()
        raise


def _discard(prepared: tuple[StagedFile, ImageInfo]) -> None:
    prepared[0].discard()


async def _in_thread(
    executor: ThreadPoolExecutor, function: Callable[[], T], *, undo: Callable[[T], None] | None = None
) -> T:
    """`function()` in one of the executor's threads. A thread cannot be stopped: when the caller is cancelled,
    the thread runs on and `undo` is applied to its result whenever it ends (a staged file is removed), its error
    retrieved."""
    task = asyncio.get_running_loop().run_in_executor(executor, function)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(functools.partial(_abandoned, undo))
        raise


def _abandoned(undo: Callable[[T], None] | None, task: asyncio.Future[T]) -> None:
    if task.cancelled() or task.exception() is not None or undo is None:
        return
    undo(task.result())
