"""Listening to Redis pub/sub channels for subscriptions: "look again" signals, robust to Redis going away.

Why one shared connection per process (the `ChannelHub`) rather than one per subscription: a Redis connection
costs a socket and a buffer on both ends and a file descriptor in each, and a server's `maxclients` is typically
10,000 shared by every API process and worker. A thousand subscriptions on one process would be a thousand
connections, each with its own reader; multiplexed, they are one connection with one reader task that hands each
message to small in-process mailboxes (`Watch`). SUBSCRIBE/UNSUBSCRIBE go over the same connection as the
channels come and go, so the server still only sends us the channels somebody here listens to.

The messages only ever mean "look again" (services/progress.py): the row is the truth. So the hub can be
simple about failure: when the connection drops, every watch is told `LOST` (re-read now: the final state may
already be there), the hub reconnects with backoff and re-subscribes every channel, and each watch is told
`RESUMED` once its channel is confirmed (re-read again: messages sent during the gap are gone). A watch that
stays lost longer than its reconnect budget is told `UNAVAILABLE` and ends, so a subscription never hangs on a
dead Redis. Independently, every watch wakes with `RECHECK` on a timer, the safety net against a lost message.

Usage (see graph/subscriptions/watch_row.py):

    async with channel_hub(resources).watch(channel) as watch:   # subscribed (or LOST queued) on entry
        ...read the row...
        async for signal in watch:                                 # ends after UNAVAILABLE
            ...read the row again...
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from services.resources import Resources

log = logging.getLogger(__name__)

# Without any traffic for this long the reader PINGs; without an answer for as long again the connection is
# declared dead (a half-open TCP connection, say, where no error would ever arrive).
PING_INTERVAL_SECONDS = 10.0
# How long the reader blocks in one read; bounds how late it notices the last watch leaving.
_READ_TICK_SECONDS = 1.0
# Backoff between reconnection attempts: doubles from the first to the last value.
_BACKOFF_FIRST_SECONDS = 0.1
_BACKOFF_MAX_SECONDS = 2.0
# Channels per SUBSCRIBE when re-subscribing after a reconnect (keeps each command small).
_RESUBSCRIBE_BATCH = 500
# A recheck timer fires at a random point within +-20% of its period, so that a thousand subscriptions opened
# together do not all re-read their rows in the same instant.
_RECHECK_JITTER = 0.2


class Signal(enum.Enum):
    CHANGED = "changed"  # a message arrived on the channel
    RECHECK = "recheck"  # the safety-net timer fired
    LOST = "lost"  # the connection to Redis dropped; messages may be missed until RESUMED
    RESUMED = "resumed"  # listening again after LOST; messages sent in between are gone
    UNAVAILABLE = "unavailable"  # Redis stayed away longer than the budget; the watch ends after this


class _ConnectionLost(Exception):
    """The hub's connection dropped while a SUBSCRIBE waited for its confirmation."""


class Watch:
    """One subscriber's mailbox for one channel; iterate it for signals. Every signal means "read the row
    again"; UNAVAILABLE additionally means "and then give up unless the row is final"."""

    def __init__(self, channel: str, *, recheck_seconds: float, reconnect_seconds: float) -> None:
        self.channel = channel
        self._recheck_seconds = recheck_seconds
        self._reconnect_seconds = reconnect_seconds
        self._signals: deque[Signal] = deque()
        self._wakeup = asyncio.Event()
        self._lost_at: float | None = None
        self._resumed = asyncio.Event()  # set while not lost
        self._resumed.set()
        self._ended = False

    @property
    def lost(self) -> bool:
        return self._lost_at is not None

    def _notify(self, signal: Signal) -> None:
        # Signals coalesce: two pending CHANGED mean one re-read, exactly as one does.
        if signal not in self._signals:
            self._signals.append(signal)
        self._wakeup.set()

    def _discard_signals(self) -> None:
        self._signals.clear()
        self._wakeup.clear()

    def _lose(self) -> None:
        if self._lost_at is None:
            self._lost_at = asyncio.get_running_loop().time()
            self._resumed.clear()
            self._notify(Signal.LOST)

    def _resume(self) -> None:
        if self._lost_at is not None:
            self._lost_at = None
            self._resumed.set()
            self._notify(Signal.RESUMED)

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> Signal:
        if self._ended:
            raise StopAsyncIteration
        if not self._signals:
            try:
                await asyncio.wait_for(self._wakeup.wait(), self._wait_seconds())
            except TimeoutError:
                return self._on_timeout()
        signal = self._signals.popleft()
        if not self._signals:
            self._wakeup.clear()
        return signal

    def _wait_seconds(self) -> float:
        jitter = 1 + random.uniform(-_RECHECK_JITTER, _RECHECK_JITTER)  # noqa: S311 - spreading load, not secrecy
        wait = self._recheck_seconds * jitter
        if self._lost_at is not None:
            deadline = self._lost_at + self._reconnect_seconds - asyncio.get_running_loop().time()
            wait = min(wait, max(deadline, 0.0))
        return wait

    def _on_timeout(self) -> Signal:
        loop_time = asyncio.get_running_loop().time()
        if self._lost_at is not None and loop_time >= self._lost_at + self._reconnect_seconds:
            self._ended = True
            return Signal.UNAVAILABLE
        return Signal.RECHECK


class ChannelHub:
    """One Redis pub/sub connection per process (per Redis client), shared by every `Watch` on it.

    A reader task runs while at least one watch exists: it reads messages and hands them to the watches of
    their channel, and on any connection failure reconnects with backoff and re-subscribes every channel.
    """

    def __init__(self, redis: Redis, *, recheck_seconds: float, reconnect_seconds: float) -> None:
        # Weak: the process-wide registry below is keyed by this client and must not keep it alive.
        self._redis = weakref.ref(redis)
        self._recheck_seconds = recheck_seconds
        self._reconnect_seconds = reconnect_seconds
        # Bounds one connect-and-subscribe attempt, so an unreachable host cannot stall the reader.
        self._connect_timeout = max(min(reconnect_seconds, 5.0), 0.5)
        self._watches: dict[str, set[Watch]] = {}
        self._pubsub: PubSub | None = None  # the live connection; None while (re)connecting
        # Serialises every command sent and every change of the connection state below, so that the order of
        # SUBSCRIBEs on the wire is the order of their confirmation futures.
        self._lock = asyncio.Lock()
        # Channels whose last command sent was SUBSCRIBE (the server will hold them once it has read it).
        self._wanted: set[str] = set()
        # One future per SUBSCRIBE sent and not yet confirmed, per channel, oldest first (Redis confirms in order).
        self._pending: dict[str, deque[asyncio.Future[None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        # Set while an outage lasts (a connection failed and no new one has been made since).
        self._outage = False
        self._background: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        return self._pubsub is not None

    @property
    def watch_count(self) -> int:
        return sum(len(watches) for watches in self._watches.values())

    @asynccontextmanager
    async def watch(self, channel: str) -> AsyncIterator[Watch]:
        """A watch on `channel`. On entry the channel is subscribed and confirmed, so any message published
        afterwards reaches the watch; if Redis cannot be reached, the watch starts with LOST queued instead (and
        gets RESUMED or, after the budget, UNAVAILABLE). Leaving the block (also by cancellation, when a client
        goes away) unsubscribes when it was the channel's last watch here."""
        watch = Watch(channel, recheck_seconds=self._recheck_seconds, reconnect_seconds=self._reconnect_seconds)
        self._watches.setdefault(channel, set()).add(watch)
        try:
            await self._subscribe(watch)
            if not watch.lost:
                # Whatever arrived while subscribing predates the caller's first read of the row.
                watch._discard_signals()
            yield watch
        finally:
            self._forget(watch)

    async def _subscribe(self, watch: Watch) -> None:
        channel = watch.channel
        confirmation: asyncio.Future[None] | None = None
        async with self._lock:
            self._ensure_reader()
            pubsub = self._pubsub
            if pubsub is None:
                watch._lose()
            else:
                pending = self._pending.get(channel)
                if pending:
                    confirmation = pending[-1]  # another watch here is subscribing this channel right now
                elif channel in self._wanted:
                    return  # another watch here already listens to this channel
                else:
                    confirmation = asyncio.get_running_loop().create_future()
                    self._pending.setdefault(channel, deque()).append(confirmation)
                    self._wanted.add(channel)
                    try:
                        await pubsub.subscribe(channel)
                    except (RedisError, OSError) as exc:
                        log.warning("subscribing to a progress channel failed: %s", exc)
                        self._abandon(pubsub)
                        watch._lose()
                        return
        if confirmation is None:
            # The reader subscribes every watched channel once it is connected. As the process starts, wait a
            # little for that rather than begin lost; during an outage, do not delay the caller's first read.
            if not self._outage:
                with suppress(TimeoutError):
                    await asyncio.wait_for(watch._resumed.wait(), self._connect_timeout)
            return
        try:
            await asyncio.wait_for(asyncio.shield(confirmation), self._connect_timeout)
        except (TimeoutError, _ConnectionLost):
            watch._lose()  # RESUMED follows when the channel is confirmed after all

    def _abandon(self, pubsub: PubSub) -> None:
        """A command on `pubsub` failed: the reader must reconnect (and re-subscribe) rather than let redis-py
        reconnect that connection silently, which would hide the gap in which messages were lost."""
        if self._pubsub is pubsub:
            self._pubsub = None

    def _forget(self, watch: Watch) -> None:
        watches = self._watches.get(watch.channel)
        if watches is None:
            return
        watches.discard(watch)
        if not watches:
            del self._watches[watch.channel]
            self._spawn(self._unsubscribe(watch.channel))

    async def _unsubscribe(self, channel: str) -> None:
        async with self._lock:
            # A new watch may have arrived meanwhile; then the channel stays.
            if channel in self._watches or channel not in self._wanted or self._pubsub is None:
                return
            self._wanted.discard(channel)
            try:
                await self._pubsub.unsubscribe(channel)
            except (RedisError, OSError):
                self._abandon(self._pubsub)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._run(), name="progress-channel-hub")

    async def _run(self) -> None:
        """Connect, listen, and on failure reconnect with backoff, for as long as any watch exists."""
        backoff = _BACKOFF_FIRST_SECONDS
        failures = 0
        while True:
            redis = self._redis()
            if redis is None:  # the application that owned the client is gone
                self._reader = None
                return
            pubsub = redis.pubsub()
            failed = False
            try:
                if await asyncio.wait_for(self._connect(pubsub), self._connect_timeout):
                    if failures:
                        log.info("progress channel connection is back after %d failed attempts", failures)
                    backoff, failures, self._outage = _BACKOFF_FIRST_SECONDS, 0, False
                    await self._listen(pubsub)
            except (RedisError, OSError, TimeoutError) as exc:
                failed, self._outage = True, True
                failures += 1
                # One warning per outage, not one per attempt.
                log.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "progress channel connection failed (%s); reconnecting",
                    exc or type(exc).__name__,
                )
            except Exception:
                # A bug here must not leave every subscription of the process deaf: start over like after a drop.
                failed, self._outage = True, True
                failures += 1
                log.exception("progress channel reader failed; reconnecting")
            finally:
                await self._drop(pubsub)
            async with self._lock:
                if not self._watches:
                    self._reader = None  # a watch arriving from now on starts a new reader
                    self._outage = False  # ...and may wait for it to connect
                    return
            if failed:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_SECONDS)

    async def _connect(self, pubsub: PubSub) -> bool:
        """Subscribe every watched channel on a new connection; False when nothing is watched any more."""
        async with self._lock:
            channels = list(self._watches)
            if not channels:
                return False
            self._wanted = set(channels)
            self._pending = {channel: deque([asyncio.get_running_loop().create_future()]) for channel in channels}
            for batch in _batches(channels, _RESUBSCRIBE_BATCH):
                await pubsub.subscribe(*batch)
            self._pubsub = pubsub
            return True

    async def _listen(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        ping_sent_at: float | None = None
        while self._watches:
            if self._pubsub is not pubsub:
                raise RedisConnectionError("a command on the progress channel connection failed")
            message = await pubsub.get_message(timeout=_READ_TICK_SECONDS)
            now = loop.time()
            if message is not None:
                last_heard, ping_sent_at = now, None
                self._dispatch(message)
            elif ping_sent_at is not None:
                if now - ping_sent_at > PING_INTERVAL_SECONDS:
                    raise TimeoutError("Redis did not answer PING")
            elif now - last_heard > PING_INTERVAL_SECONDS:
                async with self._lock:
                    await pubsub.ping()
                ping_sent_at = now

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        channel = _text(message.get("channel"))
        if kind == "message":
            for watch in tuple(self._watches.get(channel, ())):
                watch._notify(Signal.CHANGED)
        elif kind == "subscribe":
            pending = self._pending.get(channel)
            if pending:
                confirmation = pending.popleft()
                if not confirmation.done():
                    confirmation.set_result(None)
            if not pending:
                self._pending.pop(channel, None)
            if not pending and channel in self._wanted:
                for watch in tuple(self._watches.get(channel, ())):
                    watch._resume()

    async def _drop(self, pubsub: PubSub) -> None:
        """Forget a connection that failed (or is no longer needed): every watch is now lost."""
        async with self._lock:
            if self._pubsub is pubsub or self._pubsub is None:
                self._pubsub = None
                self._wanted = set()
                for pending in self._pending.values():
                    for confirmation in pending:
                        if not confirmation.done():
                            confirmation.set_exception(_ConnectionLost())
                            confirmation.exception()  # retrieved: nobody may be waiting on it any more
                self._pending = {}
                for watches in self._watches.values():
                    for watch in watches:
                        watch._lose()
        close: Callable[[], Awaitable[None]] = pubsub.aclose  # typed here: redis-py 5 leaves it unannotated
        with suppress(RedisError, OSError, RuntimeError):
            await close()


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


_hubs: weakref.WeakKeyDictionary[Redis, ChannelHub] = weakref.WeakKeyDictionary()


def channel_hub(resources: Resources) -> ChannelHub:
    """The process's hub for `resources.redis` (made on first use; one per Redis client)."""
    hub = _hubs.get(resources.redis)
    if hub is None:
        settings = resources.settings
        hub = _hubs[resources.redis] = ChannelHub(
            resources.redis,
            recheck_seconds=settings.subscription_recheck_seconds,
            reconnect_seconds=settings.subscription_reconnect_seconds,
        )
    return hub
