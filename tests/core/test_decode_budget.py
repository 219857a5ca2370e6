"""The pixel budget: decodes whose pixels fit run side by side, larger ones wait their turn, none waits forever."""

from __future__ import annotations

import asyncio

import pytest

from core.decode_budget import PixelBudget


async def _decode(budget: PixelBudget, pixels: int, running: list[int], peak: list[int], hold: asyncio.Event) -> None:
    async with budget.reserve(pixels):
        running.append(pixels)
        peak.append(sum(running))
        await hold.wait()
        running.remove(pixels)


async def test_decodes_that_fit_run_together_and_the_rest_wait() -> None:
    budget = PixelBudget(100)
    running: list[int] = []
    peak: list[int] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_decode(budget, pixels, running, peak, release)) for pixels in (60, 30, 60, 60)]
    await asyncio.sleep(0.01)
    # 60 + 30 fit in 100; each 60 after them has to wait.
    assert sorted(running) == [30, 60]
    assert budget.in_use == 90
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert max(peak) <= 100
    assert budget.in_use == 0


async def test_an_image_over_the_capacity_runs_alone() -> None:
    budget = PixelBudget(100)
    running: list[int] = []
    peak: list[int] = []
    release = asyncio.Event()
    small = asyncio.create_task(_decode(budget, 10, running, peak, release))
    await asyncio.sleep(0.01)
    huge = asyncio.create_task(_decode(budget, 500, running, peak, release))
    await asyncio.sleep(0.01)
    assert running == [10]  # the huge one waits for the small one to end ...
    release.set()
    await asyncio.wait_for(asyncio.gather(small, huge), 5)  # ... and then runs, alone
    assert peak == [10, 500]


async def test_a_failed_decode_gives_its_pixels_back() -> None:
    budget = PixelBudget(100)
    with pytest.raises(ValueError, match="corrupt image"):
        async with budget.reserve(80):
            raise ValueError("corrupt image")
    assert budget.in_use == 0
    async with asyncio.timeout(1), budget.reserve(80):
        assert budget.in_use == 80
