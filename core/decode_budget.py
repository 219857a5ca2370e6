"""How many pixels a process decodes at once: the memory of image decoding, bounded across concurrent requests.

A decoded image holds up to 4 bytes per pixel (more for 16-bit files), so four parallel uploads of a 7700x7700
PNG (243 KB each on the wire) once took the API from 122 MB to 1 GB. Each decode reserves its pixel count (read
from the header, which costs nothing) and waits while the reservations in progress would pass the capacity; small
images still decode side by side. An image larger than the capacity (possible only if the capacity is set below
IMAGE_MAX_PIXELS) waits until it can run alone, so nothing waits forever.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

DECODE_THREADS = 2

_P = ParamSpec("_P")
_T = TypeVar("_T")


class PixelBudget:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least one pixel")
        self.capacity = capacity
        self.in_use = 0
        self._changed = asyncio.Condition()
        self._threads = ThreadPoolExecutor(max_workers=DECODE_THREADS, thread_name_prefix="image-decode")

    async def decode(self, pixels: int, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run `function` (a decode of `pixels` pixels) on the decoding threads, within the budget."""
        async with self.reserve(pixels):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, functools.partial(function, *args, **kwargs))

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    @asynccontextmanager
    async def reserve(self, pixels: int) -> AsyncIterator[None]:
        async with self._changed:
            # First come, first served is not promised: a small image may pass a large one that waits, which
            # keeps small uploads fast; the large one runs as soon as the decodes ahead of it end.
            await self._changed.wait_for(lambda: self.in_use == 0 or self.in_use + pixels <= self.capacity)
            self.in_use += pixels
        try:
            yield
        finally:
            async with self._changed:
                self.in_use -= pixels
                self._changed.notify_all()
