"""Preparing a ZIP job's entries ahead of its transactions (jobs/zip_ingest.py).

Each entry is staged out of the archive (one after another: the archive keeps a running total of what it
inflated) and its image inspected (identify, verify, full decode, dominant colour; several at once, in threads:
Pillow and zlib release the GIL), in archive order, by a feeder that runs ahead of the batch being recorded by
at most `lookahead` entries. Decoding dominates the job, so it goes on while a batch's transaction runs and
across the batches' boundaries, which keeps every core busy; the transactions only record.

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
        self._inspections: set[asyncio.Task[None]] = set()
        self._feeder: asyncio.Task[None] | None = None
        # Threads of their own rather than the loop's shared pool: only these few ever decode, so only their
        # malloc arenas keep decoded images' freed memory around (the worker's peak stays that of
        # `inspect_at_once` images, whatever else runs in threads meanwhile).
        self._stager = ThreadPoolExecutor(1, thread_name_prefix="zip-stage")
        self._inspectors = ThreadPoolExecutor(limits.inspect_at_once, thread_name_prefix="zip-inspect")

    async def __aenter__(self) -> Preparation:
        self._feeder = asyncio.create_task(self._feed())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    async def take(self, count: int) -> list[Prepared | Refused]:
        """The next `count` entries in archive order, once each is ready. The caller owns the staged files of
        what it gets. Raises what stopped the feeder (`ArchiveError`: the budget is spent) at the entry where it
        happened, so the entries before it are taken (and recorded) first."""
        futures = self._results[self._handed_out : self._handed_out + count]
        results = [await future for future in futures]
        self._handed_out += len(futures)
        for _ in futures:
            self._room.release()
        return results

    async def close(self) -> None:
        """Stop preparing and discard what was prepared but not handed out (a job stopped or failed early)."""
        tasks = [task for task in (self._feeder, *self._inspections) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Abandoned threads (a stopped job) finish their entry in the background and undo it (`_in_thread`).
        self._stager.shutdown(wait=False)
        self._inspectors.shutdown(wait=False)
        for future in self._results[self._handed_out :]:
            if not future.done():
                future.cancel()
            elif not future.cancelled() and future.exception() is None:  # also retrieves an unused error
                result = future.result()
                if isinstance(result, Prepared):
                    result.staged.discard()

    # --- the feeder --------------------------------------------------------------------------------------------

    async def _feed(self) -> None:
        for entry, result in zip(self._entries, self._results, strict=True):
            await self._room.acquire()
            checked = self._check(entry)
            if isinstance(checked, Refused):
                result.set_result(checked)
                continue
            stage = functools.partial(
                stage_entry, self._storage, self._archive, entry, max_bytes=self._limits.max_bytes
            )
            try:
                staged = await _in_thread(self._stager, stage, undo=StagedFile.discard)
            except EntryError as exc:
                result.set_result(Refused(entry, exc.message))
                continue
            except Exception as exc:
                # ArchiveError (the budget is spent) or something unexpected: nothing after this entry is read,
                # and the job meets the error when it takes this entry.
                result.set_exception(exc)
                return
            try:
                await self._gate.acquire()
            except BaseException:
                staged.discard()
                raise
            task = asyncio.create_task(self._inspect(entry, checked, staged, result))
            self._inspections.add(task)
            task.add_done_callback(self._inspections.discard)

    async def _inspect(
        self,
        entry: ArchiveEntry,
        shot_type: ShotType | None,
        staged: StagedFile,
        result: asyncio.Future[Prepared | Refused],
    ) -> None:
        try:
            inspect = functools.partial(inspect_image, staged.path, max_pixels=self._limits.max_pixels)
            info = await _in_thread(self._inspectors, inspect)
        except InvalidImageError as exc:
            staged.discard()
            result.set_result(Refused(entry, exc.message))
        except Exception as exc:
            staged.discard()
            result.set_exception(exc)
        except BaseException:
            staged.discard()
            raise
        else:
            result.set_result(Prepared(entry, shot_type, staged, info))
        finally:
            self._gate.release()


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
