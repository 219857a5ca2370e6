"""The delay from the worker's progress write to the websocket client receiving it (`uploadTaskProgress`).

Several ZIP tasks (2,000 tiny, distinct PNGs under `portfolio/` each: the job writes progress every 20 entries,
so ~100 writes per task, plus the start and the completion) are uploaded one after the other through the real
mutation; each is followed on one websocket from the moment the mutation answers, until it completes.

When was each write made? The task row keeps only its latest `updated_at` (the worker sets it, with its own clock,
as it flushes each write, just before the COMMIT), so the bench records every version: a trigger on the bench's
own throwaway database copies each UPDATE of the task table (state and `updated_at`) into a side table. It adds
one small INSERT to the worker's transactions; no application code changes. The trigger is dropped afterwards.

A message is matched to the write that produced its state (status, totalItems, processedItems: unique per write
of these tasks), and its delay is receive time minus `updated_at`, both wall-clock readings on this machine; so
it includes the COMMIT itself, the PUBLISH, the API's re-read of the row and the websocket. The first message of
each subscription (the state as it stood when subscribing) is not a delivery and is left out; a write superseded
by the next before the API re-read the row reaches the client only as the later state and is counted as
coalesced, not measured.

As a breakdown, the bench also listens to the tasks' Redis channels itself: write -> PUBLISH received, and
PUBLISH received -> websocket message.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import time
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from PIL import Image
from redis.asyncio import Redis

from bench.jobs_stack import BenchError, Stack, create_subject, upload
from bench.jobs_ws import GraphQLSocket, next_message

log = logging.getLogger("bench")

PROGRESS = """subscription($id: UUID!) {
  uploadTaskProgress(taskId: $id) { status progress totalItems processedItems imagesSkipped } }"""
UPLOAD_ZIP = """mutation($file: Upload!, $subjectId: UUID) {
  uploadSubjectBaseImagesZip(file: $file, subjectId: $subjectId) { id } }"""
MESSAGE_TIMEOUT_SECONDS = 60.0

_INSTALL = (
    """CREATE TABLE bench_task_writes (
        task_id uuid NOT NULL, status text NOT NULL, total_items int NOT NULL, processed_items int NOT NULL,
        updated_at timestamptz NOT NULL, logged_at timestamptz NOT NULL DEFAULT clock_timestamp())""",
    """CREATE FUNCTION bench_log_task_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bench_task_writes (task_id, status, total_items, processed_items, updated_at)
        VALUES (NEW.id, NEW.status, NEW.total_items, NEW.processed_items, NEW.updated_at);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER bench_task_writes AFTER UPDATE ON subject_base_images_upload_tasks
        FOR EACH ROW EXECUTE FUNCTION bench_log_task_write()""",
)
_UNINSTALL = (
    "DROP TRIGGER IF EXISTS bench_task_writes ON subject_base_images_upload_tasks",
    "DROP FUNCTION IF EXISTS bench_log_task_write()",
    "DROP TABLE IF EXISTS bench_task_writes",
)

State = tuple[str, int, int]  # status, totalItems, processedItems


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (as bench/load.py reports latencies)."""
    if not values:
        return math.nan
    rank = min(max(1, math.ceil(fraction * len(values))), len(values))
    return values[rank - 1]


@dataclass(frozen=True)
class ProgressResult:
    tasks: int
    entries_per_task: int
    writes: int  # every write of the tasks after their subscription's first message
    delays_ms: list[float]  # sorted, one per delivered write
    coalesced: int
    write_to_publish_ms: list[float] = field(default_factory=list)  # sorted
    publish_to_client_ms: list[float] = field(default_factory=list)  # sorted
    job_seconds: float = 0.0

    @property
    def events(self) -> int:
        return len(self.delays_ms)

    def p(self, fraction: float, values: list[float] | None = None) -> float:
        return percentile(self.delays_ms if values is None else values, fraction)


def progress_zip(task_index: int, entries: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(entries):
            colour = (index & 255, (index >> 8) & 255, (task_index * 40 + 7) & 255)
            image = io.BytesIO()
            Image.new("RGB", (16, 16), colour).save(image, "PNG")
            archive.writestr(f"portfolio/p-{index:04}.png", image.getvalue())
    return buffer.getvalue()


@dataclass(frozen=True)
class _Write:
    state: State
    updated_at: float
    logged_at: float


class _Announcements:
    """The bench's own listener on the tasks' channels: when each PUBLISH reached a subscriber here."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self.redis = Redis.from_url(redis_url)
        self.pattern = f"{prefix}:progress:task:*"
        self.times: dict[str, list[float]] = defaultdict(list)  # task id -> receive times
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Announcements:
        pubsub = self.redis.pubsub()
        await pubsub.psubscribe(self.pattern)
        self._task = asyncio.get_running_loop().create_task(self._listen(pubsub))
        return self

    async def _listen(self, pubsub: Any) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None or message["type"] != "pmessage":
                    continue
                at = time.time()
                channel = message["channel"].decode()
                self.times[channel.rsplit(":", 1)[1]].append(at)
        finally:
            await pubsub.aclose()

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.redis.aclose()


async def _admin(dsn: str, statements: tuple[str, ...]) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _writes(dsn: str, task_id: str) -> list[_Write]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT status, total_items, processed_items, updated_at, logged_at FROM bench_task_writes "
            "WHERE task_id = $1 ORDER BY logged_at",
            uuid.UUID(task_id),
        )
    finally:
        await connection.close()
    return [
        _Write(
            (row["status"], row["total_items"], row["processed_items"]),
            row["updated_at"].timestamp(),
            row["logged_at"].timestamp(),
        )
        for row in rows
    ]


async def _follow(socket: GraphQLSocket, operation_id: str, task_id: str) -> list[tuple[float, State]]:
    """Every state the subscription delivers, with its receive time, until it completes."""
    operation = await socket.subscribe(operation_id, PROGRESS, {"id": task_id})
    states: list[tuple[float, State]] = []
    while True:
        received = await next_message(operation, MESSAGE_TIMEOUT_SECONDS)
        if received.type == "complete":
            return states
        if received.type != "next":
            raise BenchError(f"task {task_id}: {received.message}")
        data = received.data()
        states.append((received.at, (data["status"], data["totalItems"], data["processedItems"])))


async def measure_progress(stack: Stack, cover_uri: str, *, tasks: int, entries: int) -> ProgressResult:
    if stack.worker is None:
        raise BenchError("the progress measurement needs the worker")
    archives = await asyncio.to_thread(lambda: [progress_zip(index, entries) for index in range(tasks)])
    await _admin(stack.dsn, _INSTALL)
    delays: list[float] = []
    to_publish: list[float] = []
    to_client: list[float] = []
    writes_seen = coalesced = 0
    job_seconds = 0.0
    try:
        async with (
            stack.client() as client,
            _Announcements(stack.redis_url, stack.redis_prefix) as announcements,
        ):
            socket = await GraphQLSocket.open(stack.ws_url, stack.token)
            try:
                for index, archive in enumerate(archives):
                    subject_id = await create_subject(client, f"Bench progress subject {index}", cover_uri)
                    data = await upload(
                        client,
                        UPLOAD_ZIP,
                        {"subjectId": subject_id},
                        io.BytesIO(archive),
                        filename="progress.zip",
                        content_type="application/zip",
                    )
                    task_id = data["uploadSubjectBaseImagesZip"]["id"]
                    started = time.monotonic()
                    states = await _follow(socket, str(index + 1), task_id)
                    job_seconds += time.monotonic() - started
                    final = states[-1][1]
                    if final != ("COMPLETED", entries, entries):
                        raise BenchError(f"progress task {task_id} ended {final}")
                    writes = await _writes(stack.dsn, task_id)
                    await asyncio.sleep(0.2)  # the last PUBLISH reaches our own listener too
                    published = announcements.times.get(task_id, [])
                    matched = _match(states, writes, published)
                    delays += matched.delays
                    to_publish += matched.to_publish
                    to_client += matched.to_client
                    writes_seen += matched.writes
                    coalesced += matched.coalesced
                    log.info(
                        "progress: task %d/%d, %d messages, p50 %.1f ms, max %.1f ms",
                        index + 1,
                        tasks,
                        len(states),
                        percentile(sorted(matched.delays), 0.5),
                        max(matched.delays, default=math.nan),
                    )
            finally:
                await socket.close()
    finally:
        await _admin(stack.dsn, _UNINSTALL)
    return ProgressResult(
        tasks=tasks,
        entries_per_task=entries,
        writes=writes_seen,
        delays_ms=sorted(delays),
        coalesced=coalesced,
        write_to_publish_ms=sorted(to_publish),
        publish_to_client_ms=sorted(to_client),
        job_seconds=job_seconds,
    )


@dataclass
class _Matched:
    delays: list[float] = field(default_factory=list)
    to_publish: list[float] = field(default_factory=list)
    to_client: list[float] = field(default_factory=list)
    writes: int = 0
    coalesced: int = 0


def _match(states: list[tuple[float, State]], writes: list[_Write], published: list[float]) -> _Matched:
    by_state = {write.state: position for position, write in enumerate(writes)}
    if len(by_state) != len(writes):
        raise BenchError("two writes of one task left the same state: the matching would be ambiguous")
    # Each write is followed by exactly one PUBLISH (commit, then announce), in the same order.
    publish_at = published if len(published) == len(writes) else None
    first = by_state.get(states[0][1])
    # Writes before the state the subscription started from happened before it could hear them.
    considered = range(first + 1 if first is not None else 0, len(writes))
    result = _Matched(writes=len(considered))
    delivered: set[int] = set()
    for at, state in states[1:]:
        position = by_state.get(state)
        if position is None:
            raise BenchError(f"a message's state {state} matches no write of the task")
        delivered.add(position)
        result.delays.append((at - writes[position].updated_at) * 1000)
        if publish_at is not None:
            result.to_publish.append((publish_at[position] - writes[position].updated_at) * 1000)
            result.to_client.append((at - publish_at[position]) * 1000)
    result.coalesced = len([position for position in considered if position not in delivered])
    return result
