"""What the subscription tests share: a small graphql-transport-ws client, the documents, and the ZIP whose
progress they follow (with what a subscriber must have seen of it)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from db.base import utcnow
from db.models import SubjectBaseImagesUploadTask
from db.models.enums import TaskStatus
from tests.conftest import Account
from tests.jobs.zip_helpers import DEFAULT_SHOT_TYPES, TASK_FIELDS, build_zip, unique_png
from tests.websocket_frames import receive_message

# Every wait in these tests is bounded: a subscription that hangs fails the test instead of stalling the run.
STEP_TIMEOUT = 20.0

PROGRESS = f"subscription($id: UUID!) {{ uploadTaskProgress(taskId: $id) {{ {TASK_FIELDS} }} }}"
LORA = """subscription($subjectId: UUID, $styleId: UUID) {
  loraStatus(subjectId: $subjectId, styleId: $styleId) {
    __typename
    ... on Subject { id loraStatus loraTrigger loraError }
    ... on Style { id loraStatus loraTrigger trainingProgress trainingError }
  } }"""

# The ZIP the progress tests upload: 2 base images, 42 portfolio images and 1 file that is skipped, 45 items. The
# job records progress every 20 entries, so a subscriber sees processedItems go 0, 20, 40, 45.
ZIP_ITEMS = 45
PROGRESS_STEPS = [0, 20, 40, 45]


def progress_zip() -> bytes:
    members = [(f"{DEFAULT_SHOT_TYPES[0]}.png", unique_png()), (f"looks/{DEFAULT_SHOT_TYPES[1]}.png", unique_png())]
    members += [(f"portfolio/look-{index:02}.png", unique_png()) for index in range(42)]
    members.append(("notes.txt", b"not an image"))
    return build_zip(members)


# --- task rows, written straight to the database ------------------------------------------------------------


async def processing_tasks(
    session_factory: async_sessionmaker[AsyncSession], owner: Account, subject_id: str, count: int
) -> list[str]:
    """`count` tasks of the subject, PROCESSING, written straight to the database (faster than uploads)."""
    ids = [uuid.uuid4() for _ in range(count)]
    rows = [
        {
            "id": task_id,
            "owner_id": owner.id,
            "subject_id": uuid.UUID(subject_id),
            "status": TaskStatus.PROCESSING,
            "total_items": 10,
            "processed_items": 3,
            "progress": 30,
            "started_at": utcnow(),
        }
        for task_id in ids
    ]
    async with session_factory() as session, session.begin():
        await session.execute(insert(SubjectBaseImagesUploadTask), rows)
    return [str(task_id) for task_id in ids]


async def finish_tasks(session_factory: async_sessionmaker[AsyncSession], task_ids: list[str]) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            update(SubjectBaseImagesUploadTask)
            .where(SubjectBaseImagesUploadTask.id.in_([uuid.UUID(task_id) for task_id in task_ids]))
            .values(status=TaskStatus.COMPLETED, processed_items=10, progress=100, completed_at=utcnow())
        )


# --- a graphql-transport-ws client -------------------------------------------------------------------------------


@dataclass
class Operation:
    """One subscription on its own websocket: `next()` answers each message of the operation in turn."""

    ws: ClientConnection
    id: str = "1"
    received: list[dict[str, Any]] = field(default_factory=list)

    async def next(self, within: float = STEP_TIMEOUT) -> dict[str, Any]:
        """The next `next`, `error` or `complete` message of this operation (protocol pings are answered)."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no message in {within}s; so far: {self.received}")
            message = await receive_message(self.ws, remaining)
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") == self.id:
                self.received.append(message)
                return message  # type: ignore[no-any-return]

    async def until_done(self, within: float = STEP_TIMEOUT) -> list[dict[str, Any]]:
        """Every message up to and including `complete` or `error`, each within `within` seconds."""
        messages = []
        while True:
            message = await self.next(within)
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages

    async def nothing_for(self, seconds: float) -> None:
        """Assert that no message of this operation arrives for `seconds`."""
        with pytest.raises(TimeoutError):
            await self.next(seconds)


@asynccontextmanager
async def subscribed(
    host: str, account: Account | None, query: str, variables: dict[str, Any], *, headers: dict[str, str] | None = None
) -> AsyncIterator[Operation]:
    """A websocket to `host` authenticated as `account` (by the connection_init payload) with one subscription;
    `headers` are sent with the handshake."""
    async with connect(
        f"ws://{host}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=STEP_TIMEOUT,
        additional_headers=headers,
    ) as ws:
        payload = {"Authorization": f"Bearer {account.token}"} if account else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = await receive_message(ws, STEP_TIMEOUT)
        assert ack["type"] == "connection_ack", ack
        operation = Operation(ws)
        await ws.send(
            json.dumps({"id": operation.id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
        )
        yield operation


def data_of(message: dict[str, Any]) -> dict[str, Any]:
    """The single field's value of a `next` message that carries data and no errors."""
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    value: dict[str, Any] = next(iter(message["payload"]["data"].values()))
    return value


def refusal_code(message: dict[str, Any]) -> str:
    """The code of a refused subscription: an `error` message (the operation never started, so no data)."""
    assert message["type"] == "error", message
    assert len(message["payload"]) == 1, message
    code: str = message["payload"][0]["extensions"]["code"]
    return code


def distinct_in_order(values: list[Any]) -> list[Any]:
    result: list[Any] = []
    for value in values:
        if not result or result[-1] != value:
            result.append(value)
    return result


def assert_progress_story(states: list[dict[str, Any]], *, first_status: str = "PENDING") -> None:
    """What a subscriber of a ZIP task must have seen: the task as it stood, every progress step in order, the
    completion with its counts last, and no state twice in a row."""
    assert states[0]["status"] == first_status
    assert distinct_in_order([state["processedItems"] for state in states]) == PROGRESS_STEPS
    assert [state["progress"] for state in states] == sorted(state["progress"] for state in states)
    for earlier, later in itertools.pairwise(states):
        assert earlier != later
    final = states[-1]
    assert final["status"] == "COMPLETED"
    assert final["progress"] == 100
    assert (final["totalItems"], final["processedItems"]) == (ZIP_ITEMS, ZIP_ITEMS)
    assert (final["imagesProcessed"], final["portfolioImagesProcessed"], final["imagesSkipped"]) == (2, 42, 1)
    assert final["completedAt"] is not None
    assert len(final["resultData"]["entries"]) == ZIP_ITEMS
    assert all(state["status"] == "PROCESSING" for state in states[1:-1])
