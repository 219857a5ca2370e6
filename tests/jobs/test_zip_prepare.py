"""The ZIP job's preparation pipeline on its own (no database): archive order, refusals with their reasons,
an archive budget met mid-way, and nothing left staged when a job stops early."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from core.archive import ArchiveBudget, ArchiveEntry, ArchiveError, open_archive
from core.storage_local import LocalStorage
from jobs.zip_prepare import Check, Limits, Preparation, Prepared, Refused
from tests.jobs.zip_helpers import build_zip, jpeg, png

LIMITS = Limits(max_bytes=1 << 20, max_pixels=10_000_000, lookahead=4, inspect_at_once=2)


def portfolio_only(entry: ArchiveEntry) -> Refused | None:
    return Refused(entry, "not wanted") if entry.name.startswith("skip") else None


def names(results: list[Prepared | Refused]) -> list[tuple[str, str]]:
    return [
        (item.entry.name, "prepared" if isinstance(item, Prepared) else f"refused: {item.reason}") for item in results
    ]


def staged(storage: LocalStorage) -> list[Path]:
    return list(storage.tmp_dir.glob("*")) if storage.tmp_dir.exists() else []


async def take_all(
    archive_path: Path, storage: LocalStorage, count: int, *, batch: int = 3, check: Check = portfolio_only
) -> list[Prepared | Refused]:
    taken: list[Prepared | Refused] = []
    with open_archive(archive_path) as archive:
        async with Preparation(storage, archive, archive.entries, check, LIMITS) as preparation:
            for _ in range(0, count, batch):
                taken += await preparation.take(batch)
    return taken


async def test_entries_come_in_archive_order_with_their_reasons(tmp_path: Path) -> None:
    members = [(f"{index:02}.png", png(index)) for index in range(7)]
    members.insert(2, ("skip.png", png(99)))
    members.insert(5, ("broken.jpg", jpeg(1)[:200]))
    members.insert(7, ("text.png", b"not an image at all"))
    path = tmp_path / "a.zip"
    path.write_bytes(build_zip(members))
    storage = LocalStorage(tmp_path / "storage")

    taken = await take_all(path, storage, len(members))

    assert names(taken) == [
        (name, "refused: not wanted" if name == "skip.png" else "prepared") for name, _ in members[:5]
    ] + [
        ("broken.jpg", "refused: image is truncated or corrupt"),
        ("04.png", "prepared"),
        ("text.png", "refused: not an image"),
        ("05.png", "prepared"),
        ("06.png", "prepared"),
    ]
    prepared = [item for item in taken if isinstance(item, Prepared)]
    assert all(item.staged.path.is_file() and item.info.format == "PNG" for item in prepared)
    for item in prepared:
        item.staged.discard()
    assert staged(storage) == []


async def test_the_budget_stops_the_feeder_where_it_is_spent(tmp_path: Path) -> None:
    """The entries before the one that passes the archive's running total are handed out first."""
    members = [(f"{index}.png", png(index, width=200, height=200)) for index in range(6)]
    path = tmp_path / "a.zip"
    path.write_bytes(build_zip(members))
    sizes = [len(data) for _, data in members]
    storage = LocalStorage(tmp_path / "storage")
    budget = ArchiveBudget(max_total_uncompressed=sum(sizes[:4]) + 1)

    # One entry at a time: with several, the entry that meets the budget is any of those being inflated.
    one_at_a_time = dataclasses.replace(LIMITS, inspect_at_once=1)
    with open_archive(path, ArchiveBudget(max_total_uncompressed=sum(sizes))) as archive:
        archive.budget = budget  # the declared sizes passed; the running total is what stops it
        async with Preparation(storage, archive, archive.entries, portfolio_only, one_at_a_time) as preparation:
            first = await preparation.take(4)
            with pytest.raises(ArchiveError):
                await preparation.take(2)
    assert names(first) == [(name, "prepared") for name, _ in members[:4]]
    for item in first:
        assert isinstance(item, Prepared)
        item.staged.discard()
    assert staged(storage) == []


async def test_nothing_stays_staged_when_the_job_stops_early(tmp_path: Path) -> None:
    members = [(f"{index:02}.png", png(index, width=300, height=300)) for index in range(20)]
    path = tmp_path / "a.zip"
    path.write_bytes(build_zip(members))
    storage = LocalStorage(tmp_path / "storage")

    with open_archive(path) as archive:
        async with Preparation(storage, archive, archive.entries, portfolio_only, LIMITS) as preparation:
            first = await preparation.take(2)
            await asyncio.sleep(0.05)  # the feeder runs ahead meanwhile
    for item in first:
        assert isinstance(item, Prepared)
        item.staged.discard()
    # Threads that were still busy finish their entry and remove what they made.
    for _ in range(100):
        if not staged(storage):
            break
        await asyncio.sleep(0.02)
    assert staged(storage) == []


async def test_a_cancelled_job_leaves_nothing_staged(tmp_path: Path) -> None:
    members = [(f"{index:02}.png", png(index, width=300, height=300)) for index in range(20)]
    path = tmp_path / "a.zip"
    path.write_bytes(build_zip(members))
    storage = LocalStorage(tmp_path / "storage")

    async def job() -> None:
        with open_archive(path) as archive:
            async with Preparation(storage, archive, archive.entries, portfolio_only, LIMITS) as preparation:
                await preparation.take(len(members))

    task = asyncio.create_task(job())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not staged(storage):
            break
        await asyncio.sleep(0.02)
    assert staged(storage) == []
