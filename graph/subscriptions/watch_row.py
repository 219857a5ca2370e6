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

A read that meets PostgreSQL unreachable (core/outages.py) is tried again with a short backoff for up to
SUBSCRIPTION_RECONNECT_SECONDS, so a database restart is a pause in the stream, not its end; past that the
subscription ends with SERVICE_UNAVAILABLE. Both errors carry that code: the client may subscribe again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.outages import describe_outage, is_outage
from graph.context import Info
from graph.loaders import Loaders
from graph.refusals import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from services.errors import DomainError
from services.watch import Signal, channel_hub

log = logging.getLogger(__name__)

RowT = TypeVar("RowT")
OutT = TypeVar("OutT")


# Backoff between reads of the row while PostgreSQL is unreachable: doubles from the first to the last value.
_REREAD_FIRST_SECONDS = 0.1
_REREAD_MAX_SECONDS = 2.0


class UpdatesUnavailableError(DomainError):
    """Redis stayed unreachable: live updates stopped, the data is still there to be queried."""

    code = SERVICE_UNAVAILABLE

    def __init__(self, poll_instead: str) -> None:
        super().__init__(f"progress updates are unavailable; query {poll_instead}")


class DatabaseUnavailableError(DomainError):
    """PostgreSQL stayed unreachable for longer than the subscription waits."""

    code = SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE_MESSAGE)


async def _patiently(look: Callable[[], Awaitable[RowT]], budget_seconds: float) -> RowT:
    """`look()`, tried again while PostgreSQL is unreachable, for up to `budget_seconds`."""
    loop = asyncio.get_running_loop()
    give_up_at: float | None = None
    delay = _REREAD_FIRST_SECONDS
    while True:
        try:
            row = await look()
        except Exception as error:
            if not is_outage(error):
                raise
            now = loop.time()
            if give_up_at is None:
                give_up_at = now + budget_seconds
                log.warning("subscription: the database is unreachable (%s); waiting", describe_outage(error))
            if now >= give_up_at:
                raise DatabaseUnavailableError from error
            await asyncio.sleep(min(delay, give_up_at - now))
            delay = min(delay * 2, _REREAD_MAX_SECONDS)
            continue
        if give_up_at is not None:
            log.info("subscription: the database is back")
        return row


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

    async def read_once() -> RowT:
        # A fresh session each time: a long-lived one would answer from its identity map.
        async with context.read_session() as session:
            return await read(session)

    async def look() -> RowT:
        return await _patiently(read_once, context.resources.settings.subscription_reconnect_seconds)

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
