"""asyncio's private name that graph/execution/concurrently.py builds on.

`settle_all` steps coroutines by hand, as an `asyncio.Task` does. A coroutine waiting on a future yields it with
the future's `_asyncio_future_blocking` flag set; the Task clears the flag to take the future over (and treats
anything else yielded as a bug). Python documents the flag only in asyncio's source; it has been there since
Python 3.5. tests/core/test_internals_asyncio.py checks it on the running Python.
"""

from __future__ import annotations

import asyncio
from typing import Any

# The version this module was written for (the tests name it when a check fails).
WRITTEN_FOR = "3.11"

__all__ = ["take_blocking_future"]


def take_blocking_future(yielded: Any) -> asyncio.Future[Any] | None:
    """What a stepped coroutine yielded, when it is a future it waits on: that future, now the stepper's to wait
    on (its blocking flag cleared, as `asyncio.Task` does); None for anything else."""
    if not asyncio.isfuture(yielded) or not getattr(yielded, "_asyncio_future_blocking", False):
        return None
    yielded._asyncio_future_blocking = False
    return yielded
