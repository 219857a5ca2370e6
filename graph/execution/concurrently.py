"""Running many awaitables side by side without a Task each.

A page resolves about 1,450 relation fields; each is a coroutine waiting on a dataloader future. graphql-core
gathers them with one asyncio Task per field (and another per object), and creating, scheduling and finishing
those Tasks was a fifth of a page's CPU. The awaitables here are stepped by hand instead, the way a Task steps its
coroutine: each runs until it waits on a future; when any of those futures is done, the coroutines waiting on
done futures go on. All the keys a level asks for are therefore queued before anything waits, and the request's
BatchScheduler (graph/loaders.py) sends them as one batch per loader, exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator, Sequence
from typing import Any

from core.internals.asyncio import take_blocking_future


class Failed:
    """An awaitable that raised: the exception, kept in its place among the results."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def settle_all(awaitables: Sequence[Awaitable[Any]]) -> list[Any]:
    """Each awaitable's result, or `Failed(exception)`, in order; returns when all have finished."""
    results: list[Any] = [None] * len(awaitables)
    # (index, the awaitable's iterator, what it waits on: an asyncio future, or None for a bare yield)
    waiting: list[tuple[int, Generator[Any, Any, Any], asyncio.Future[Any] | None]] = []
    try:
        for index, awaitable in enumerate(awaitables):
            _step(index, awaitable.__await__(), None, None, results, waiting)
        while waiting:
            if any(future is None for _, _, future in waiting):
                await asyncio.sleep(0)  # a bare `yield` asks for one turn of the loop
            else:
                # Several may wait on one future (a cached load).
                futures = {future for _, _, future in waiting if future is not None}
                await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            still_waiting, waiting = waiting, []
            for index, iterator, future in still_waiting:
                if future is None:
                    _step(index, iterator, None, None, results, waiting)
                elif not future.done():
                    waiting.append((index, iterator, future))
                elif future.cancelled():
                    _step(index, iterator, None, asyncio.CancelledError(), results, waiting)
                elif (error := future.exception()) is not None:
                    _step(index, iterator, None, error, results, waiting)
                else:
                    _step(index, iterator, future.result(), None, results, waiting)
    except BaseException:
        for _, iterator, _ in waiting:
            iterator.close()
        raise
    return results


def _step(
    index: int,
    iterator: Generator[Any, Any, Any],
    value: Any,
    error: BaseException | None,
    results: list[Any],
    waiting: list[tuple[int, Generator[Any, Any, Any], asyncio.Future[Any] | None]],
) -> None:
    try:
        yielded = iterator.throw(error) if error is not None else iterator.send(value)
    except StopIteration as stop:
        results[index] = stop.value
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as raised:  # kept as this awaitable's outcome, as gather would keep it
        results[index] = Failed(raised)
        return
    if yielded is None:
        waiting.append((index, iterator, None))
        return
    future = take_blocking_future(yielded)  # as asyncio.Task does: the future is now ours to wait on
    if future is None:
        iterator.close()
        results[index] = Failed(RuntimeError(f"awaitable yielded {yielded!r}, not an asyncio future"))
        return
    waiting.append((index, iterator, future))
