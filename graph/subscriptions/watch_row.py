"""The one way a subscription follows a database row: "watch a row".

Order of operations, so that the final state is never missed (docs/design.md, "Conventions worth keeping"):
1. subscribe to the row's Redis channel (and wait for the confirmation);
2. read the row and yield it;
3. on every signal (a message, the safety-net timer, a Redis reconnection) read it again, in a fresh session,
   and yield it when what the client sees has changed;
4. stop once the row is final.
A message published between 1 and 2 only causes a needless re-read; one published before 1 is covered by the
read in 2. If Redis stays away, the row is read once more: a final row is still delivered, otherwise the
subscription ends with an error telling the client what to poll instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from graph.context import Info
from graph.loaders import Loaders
from services.errors import DomainError
from services.watch import Signal, channel_hub

RowT = TypeVar("RowT")
OutT = TypeVar("OutT")


class UpdatesUnavailableError(DomainError):
    """Redis stayed unreachable: live updates stopped, the data is still there to be queried.

    It keeps the base class's INTERNAL_SERVER_ERROR code (docs/api.md lists no better one) but, being expected, its
    message reaches the client unmasked."""

    def __init__(self, poll_instead: str) -> None:
        super().__init__(f"progress updates are unavailable; query {poll_instead}")


async def watch_row(
    info: Info,
    channel: str,
    read: Callable[[AsyncSession], Awaitable[RowT]],
    *,
    seen: Callable[[RowT], Hashable],
    final: Callable[[RowT], bool],
    present: Callable[[RowT], OutT],
    poll_instead: str,
) -> AsyncGenerator[OutT, None]:
    """Yield `present(row)` first as the row stands, then whenever `seen(row)` changes, and complete after the
    first row for which `final(row)` holds.

    `read` loads the row in the session it is given and raises a domain error (NOT_FOUND) when the caller may not
    see it; it runs for every look, so losing access (or a delete) mid-subscription ends the subscription too.
    `poll_instead` names the query that answers the same row, for the error when Redis is gone.
    """
    context = info.context

    async def look() -> RowT:
        # A fresh session each time: a long-lived one would answer from its identity map.
        async with context.read_session() as session:
            return await read(session)

    def fresh(row: RowT) -> OutT:
        # Field resolvers below this object use the context's dataloaders, which live as long as the websocket and
        # cache what they loaded; a new set per message keeps nested fields as current as the row itself.
        context.loaders = Loaders(context.resources.session_factory)
        return present(row)

    async with channel_hub(context.resources).watch(channel) as watch:
        row = await look()
        last = seen(row)
        yield fresh(row)
        if final(row):
            return
        async for signal in watch:
            row = await look()
            if seen(row) != last:
                last = seen(row)
                yield fresh(row)
            if final(row):
                return
            if signal is Signal.UNAVAILABLE:
                raise UpdatesUnavailableError(poll_instead)
