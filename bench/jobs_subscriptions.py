"""1,000 concurrent `uploadTaskProgress` subscriptions held on one API process.

The worker is stopped first and 1,000 PENDING tasks are written straight into the bench database (never queued),
so every subscription stays open on an unchanging task: what is measured is the cost of holding them. They are
opened over 20 websockets of 50 (Strawberry allows 100 operations per connection by default), one websocket at a
time, each subscription waiting for its first message (the task as it stands); then held for `hold` seconds and
closed cleanly (a `complete` per operation, then the websocket closes).

Errors: a websocket that fails to open or is closed by the server, a subscription that answers anything but its
first state, any message while held (nothing changes, so nothing should come), stray messages. Memory: the API's
resident size before opening and at the end of the hold; per subscription = the difference / subscriptions (it
includes the 20 websockets). Also reported: the API's CPU while holding (every subscription re-reads its row on a
timer, services/watch.py), and the channels Redis reports subscribed while held and after closing, which shows
each subscription listened and let go.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis

from bench.jobs_stack import PeakSampler, Stack, memory
from bench.jobs_ws import GraphQLSocket, Operation, next_message
from bench.load import process_cpu_seconds

log = logging.getLogger("bench")

PROGRESS = "subscription($id: UUID!) { uploadTaskProgress(taskId: $id) { id status processedItems } }"
FIRST_MESSAGE_TIMEOUT_SECONDS = 60.0
# The hub unsubscribes a channel in the background, within its read tick (1 s), once its last watch leaves.
SETTLE_SECONDS = 3.0
_MAX_ERRORS_SHOWN = 5


@dataclass
class SubscriptionsResult:
    wanted: int
    sockets: int
    opened: int = 0
    errors: list[str] = field(default_factory=list)
    open_seconds: float = 0.0
    hold_seconds: float = 0.0
    api_before: int = 0
    api_held: int = 0
    api_peak: int = 0
    api_after_close: int = 0
    cpu_percent_held: float = 0.0
    channels_held: int = 0
    channels_after: int = 0

    @property
    def per_subscription(self) -> float:
        return (self.api_held - self.api_before) / self.opened if self.opened else float("nan")


async def _pending_tasks(dsn: str, owner_id: str, subject_id: str, count: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "INSERT INTO subject_base_images_upload_tasks (id, owner_id, subject_id, status) "
            "SELECT gen_random_uuid(), $1, $2, 'PENDING' FROM generate_series(1, $3) RETURNING id",
            uuid.UUID(owner_id),
            uuid.UUID(subject_id),
            count,
        )
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


async def _channels(redis: Redis, prefix: str) -> int:
    return len(await redis.pubsub_channels(f"{prefix}:progress:task:*"))


async def _first_state(operation: Operation, errors: list[str]) -> bool:
    try:
        received = await next_message(operation, FIRST_MESSAGE_TIMEOUT_SECONDS)
    except Exception as exc:
        errors.append(f"operation {operation.id}: {exc}")
        return False
    if received.type != "next" or received.message["payload"].get("errors"):
        errors.append(f"operation {operation.id}: {received.message}")
        return False
    if received.data()["status"] != "PENDING":
        errors.append(f"operation {operation.id}: unexpected state {received.message}")
        return False
    return True


async def _open_socket(
    stack: Stack, tasks: list[str], first_id: int, errors: list[str]
) -> tuple[GraphQLSocket | None, int]:
    try:
        socket = await GraphQLSocket.open(stack.ws_url, stack.token)
    except Exception as exc:
        errors.append(f"websocket: {exc}")
        return None, 0
    operations = [
        await socket.subscribe(str(first_id + index), PROGRESS, {"id": task_id}) for index, task_id in enumerate(tasks)
    ]
    answered = await asyncio.gather(*(_first_state(operation, errors) for operation in operations))
    return socket, sum(answered)


async def measure_subscriptions(
    stack: Stack, subject_id: str, *, subscriptions: int, sockets: int, hold: float
) -> SubscriptionsResult:
    stack.stop_worker()  # the tasks must stay PENDING, and the API alone is measured
    result = SubscriptionsResult(wanted=subscriptions, sockets=sockets)
    tasks = await _pending_tasks(stack.dsn, stack.superuser_id, subject_id, subscriptions)
    per_socket = -(-subscriptions // sockets)
    api = stack.api.pid
    redis = Redis.from_url(stack.redis_url)
    opened: list[GraphQLSocket] = []
    try:
        await asyncio.sleep(1.0)
        result.api_before = memory(api).rss
        started = time.monotonic()
        for start in range(0, subscriptions, per_socket):
            socket, answered = await _open_socket(stack, tasks[start : start + per_socket], start + 1, result.errors)
            if socket is not None:
                opened.append(socket)
            result.opened += answered
        result.open_seconds = time.monotonic() - started
        log.info("subscriptions: %d open in %.1fs", result.opened, result.open_seconds)

        result.channels_held = await _channels(redis, stack.redis_prefix)
        cpu_before, held_since = process_cpu_seconds(api), time.monotonic()
        with PeakSampler([api], interval=0.05) as sampler:
            await asyncio.sleep(hold)
        result.hold_seconds = time.monotonic() - held_since
        result.cpu_percent_held = 100 * (process_cpu_seconds(api) - cpu_before) / result.hold_seconds
        result.api_held = memory(api).rss
        result.api_peak = sampler.peak[api]
        for socket in opened:
            if socket.closed_by_server:
                result.errors.append(f"websocket closed while held: {socket.closed_by_server}")
            if socket.stray:
                result.errors.append(f"stray messages: {socket.stray[:2]}")
            for operation in socket.operations.values():
                while not operation.messages.empty():
                    result.errors.append(f"operation {operation.id} while held: {operation.messages.get_nowait()}")
        log.info("subscriptions: held %.1fs, %d errors", result.hold_seconds, len(result.errors))
    finally:
        for socket in opened:
            try:
                for operation_id in list(socket.operations):
                    await socket.complete(operation_id)
            except Exception as exc:
                result.errors.append(f"closing: {exc}")
            await socket.close()
        await asyncio.sleep(SETTLE_SECONDS)
        result.channels_after = await _channels(redis, stack.redis_prefix)
        result.api_after_close = memory(api).rss
        await redis.aclose()
    return result


def shown_errors(errors: list[str]) -> str:
    shown = "; ".join(errors[:_MAX_ERRORS_SHOWN])
    return shown + (f"; ... {len(errors) - _MAX_ERRORS_SHOWN} more" if len(errors) > _MAX_ERRORS_SHOWN else "")
