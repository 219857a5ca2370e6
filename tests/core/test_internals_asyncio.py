"""asyncio's private name that graph/execution/concurrently.py builds on (core/internals/asyncio.py) still means what
it relies on, on this Python: a coroutine waiting on a future yields the future with `_asyncio_future_blocking` set.
A failure here after a Python upgrade names what changed: adapt core/internals/asyncio.py."""

from __future__ import annotations

import asyncio
import sys

import pytest

from core.internals import asyncio as internals
from core.internals.asyncio import take_blocking_future
from tests.core.internals_checks import UpgradeCheck

CHECK = UpgradeCheck(
    library="Python",
    installed=sys.version.split()[0],
    written_for=internals.WRITTEN_FOR,
    module="core/internals/asyncio.py",
    users="graph/execution/concurrently.py",
)


async def test_a_coroutine_waiting_on_a_future_yields_it_as_blocking_and_the_stepper_takes_it() -> None:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def waits() -> int:
        return await future

    steps = waits().__await__()
    yielded = steps.send(None)
    if yielded is not future or getattr(future, "_asyncio_future_blocking", None) is not True:
        CHECK.fail("_asyncio_future_blocking", "is not set on a future a coroutine awaits")
    if take_blocking_future(yielded) is not future or future._asyncio_future_blocking:
        CHECK.fail("_asyncio_future_blocking", "is not cleared when the future is taken")
    future.set_result(7)
    with pytest.raises(StopIteration) as stop:
        steps.send(None)
    assert stop.value.value == 7


def test_anything_else_yielded_is_not_a_future_to_wait_on() -> None:
    assert take_blocking_future(None) is None
    assert take_blocking_future("a value") is None
    loop = asyncio.new_event_loop()
    try:
        assert take_blocking_future(loop.create_future()) is None  # not yielded by an await: not blocking
    finally:
        loop.close()
