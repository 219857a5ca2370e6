"""Subscriptions over real websockets (graphql-transport-ws) against a live server, with real Redis and a real
arq worker: uploadTaskProgress follows a ZIP job, loraStatus follows a LoRA job, refusals carry their code and
no data, a thousand subscriptions share one Redis connection, and a Redis restart (an embedded Redis of this
test's own, never the machine's) ends each subscription with the final state or a clear error, never a hang."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import update
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from core.embedded import EmbeddedRedis
from core.settings import Settings
from db.models import Style
from db.models.enums import LoraStatus
from graph.app import create_app
from services.progress import announce, lora_channel, task_channel
from services.watch import channel_hub
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.conftest import RunJobs
from tests.jobs.lora_helpers import answer, make_style, make_subject, small_lora, upload_lora
from tests.jobs.subscription_helpers import (
    LORA,
    PROGRESS,
    STEP_TIMEOUT,
    assert_progress_story,
    data_of,
    finish_tasks,
    processing_tasks,
    progress_zip,
    refusal_code,
    subscribed,
)
from tests.jobs.zip_helpers import TASK_FIELDS, build_zip, upload_zip, uploaded_task
from tests.serving import served
from tests.websocket_frames import receive_message

# --- uploadTaskProgress ------------------------------------------------------------------------------------------


async def test_upload_task_progress_follows_the_zip_job_to_completion(
    live_server: str, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, progress_zip(), subject_id=subject_id))
    assert task["status"] == "PENDING"

    async with subscribed(live_server, owner, PROGRESS, {"id": task["id"]}) as operation:
        first = data_of(await operation.next())
        assert first == task  # the task as it stands, before any worker touched it
        worker = asyncio.ensure_future(run_jobs())
        messages = await operation.until_done()
        await asyncio.wait_for(worker, STEP_TIMEOUT)

    assert messages[-1] == {"id": "1", "type": "complete"}
    states = [first] + [data_of(message) for message in messages[:-1]]
    assert_progress_story(states)
    # The last state is what a query answers afterwards.
    polled = await gql.data(
        f"query($id: UUID!) {{ subjectUploadTask(taskId: $id) {{ {TASK_FIELDS} }} }}", {"id": task["id"]}, as_=owner
    )
    assert polled["subjectUploadTask"] == states[-1]


async def test_upload_task_progress_of_a_finished_task_yields_once_and_completes(
    live_server: str, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, build_zip([("notes.txt", b"x")]), subject_id=subject_id))
    await run_jobs()

    async with subscribed(live_server, owner, PROGRESS, {"id": task["id"]}) as operation:
        messages = await operation.until_done()
    assert len(messages) == 2
    finished = data_of(messages[0])
    assert (finished["id"], finished["status"], finished["imagesSkipped"]) == (task["id"], "COMPLETED", 1)
    assert messages[1] == {"id": "1", "type": "complete"}


async def test_upload_task_progress_refuses_who_may_not_see_the_task(
    live_server: str, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts
) -> None:
    owner, stranger, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    subject_id = await make_subject(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, build_zip([("notes.txt", b"x")]), subject_id=subject_id))

    for account, code in ((stranger, "NOT_FOUND"), (None, "UNAUTHENTICATED")):
        async with subscribed(live_server, account, PROGRESS, {"id": task["id"]}) as operation:
            assert refusal_code(await operation.next()) == code
            await operation.nothing_for(0.3)  # an `error` ends the operation: no data follows
    async with subscribed(live_server, owner, PROGRESS, {"id": str(uuid.uuid4())}) as operation:
        assert refusal_code(await operation.next()) == "NOT_FOUND"

    # A superuser may watch anyone's task (it is still PENDING: no worker ran).
    async with subscribed(live_server, admin, PROGRESS, {"id": task["id"]}) as operation:
        assert data_of(await operation.next())["status"] == "PENDING"


async def test_a_closed_websocket_stops_listening(
    live_server: str, app: Starlette, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, build_zip([("notes.txt", b"x")]), subject_id=subject_id))
    resources = app.state.resources
    channel = task_channel(resources.settings, uuid.UUID(task["id"]))

    async with subscribed(live_server, owner, PROGRESS, {"id": task["id"]}) as operation:
        await operation.next()
        assert await _listeners(resources.redis, channel) == 1
    # The client went away without completing: the server unsubscribes the channel.
    await _wait_for(lambda: _listeners(resources.redis, channel), 0)


async def _listeners(redis: Redis, channel: str) -> int:
    counts = await redis.pubsub_numsub(channel)
    return int(counts[0][1])


async def _wait_for(probe: Any, expected: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while (value := await probe()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, expected {expected!r}"
        await asyncio.sleep(0.05)


# --- loraStatus ----------------------------------------------------------------------------------------------------


async def test_lora_status_of_an_idle_subject_yields_once_and_completes(
    live_server: str, gql: GraphQLClient, accounts: Accounts
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    async with subscribed(live_server, owner, LORA, {"subjectId": subject_id}) as operation:
        messages = await operation.until_done()
    assert [message["type"] for message in messages] == ["next", "complete"]
    assert data_of(messages[0]) == {
        "__typename": "Subject",
        "id": subject_id,
        "loraStatus": "none",
        "loraTrigger": None,
        "loraError": None,
    }


async def test_lora_status_follows_a_subject_lora_job_until_ready(
    live_server: str, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, run_jobs: RunJobs
) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    subject_id = await make_subject(gql, owner)
    uploaded = answer(await upload_lora(http, admin, "subject", subject_id, small_lora(), trigger="ohwx model"))
    assert uploaded["loraStatus"] == "processing"

    async with subscribed(live_server, owner, LORA, {"subjectId": subject_id}) as operation:
        first = data_of(await operation.next())
        assert (first["__typename"], first["loraStatus"], first["loraTrigger"]) == (
            "Subject",
            "processing",
            "ohwx model",
        )
        worker = asyncio.ensure_future(run_jobs())
        messages = await operation.until_done()
        await asyncio.wait_for(worker, STEP_TIMEOUT)
    assert [message["type"] for message in messages] == ["next", "complete"]
    assert data_of(messages[0]) == {
        "__typename": "Subject",
        "id": subject_id,
        "loraStatus": "ready",
        "loraTrigger": "ohwx model",
        "loraError": None,
    }


async def test_lora_status_follows_a_style_lora_job_until_ready(
    live_server: str, http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, run_jobs: RunJobs
) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    style_id = await make_style(gql, owner)
    answer(await upload_lora(http, admin, "style", style_id, small_lora(), trigger="dreamy film"))

    async with subscribed(live_server, owner, LORA, {"styleId": style_id}) as operation:
        first = data_of(await operation.next())
        assert first == {
            "__typename": "Style",
            "id": style_id,
            "loraStatus": "processing",
            "loraTrigger": "dreamy film",
            "trainingProgress": 0.0,
            "trainingError": None,
        }
        worker = asyncio.ensure_future(run_jobs())
        messages = await operation.until_done()
        await asyncio.wait_for(worker, STEP_TIMEOUT)
    assert [message["type"] for message in messages] == ["next", "complete"]
    final = data_of(messages[0])
    assert (final["loraStatus"], final["trainingProgress"], final["trainingError"]) == ("ready", 100.0, None)


async def test_lora_status_reports_each_change_a_worker_announces(
    live_server: str, gql: GraphQLClient, accounts: Accounts, app: Starlette, session_factory: Any
) -> None:
    """Training progress in steps, as a training worker would write it (the row committed, then announced through
    services.progress): every step reaches each subscriber (two here, sharing the server's one Redis
    subscription to the channel), and a failure ends the subscriptions with its reason."""
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    style_id = await make_style(gql, owner)
    resources = app.state.resources
    channel = lora_channel(resources.settings, "style", uuid.UUID(style_id))

    async def write(**values: Any) -> None:
        async with session_factory() as session, session.begin():
            await session.execute(update(Style).where(Style.id == uuid.UUID(style_id)).values(**values))
        await announce(resources.redis, channel)

    await write(lora_status=LoraStatus.PROCESSING, training_progress=0.0)
    async with (
        subscribed(live_server, owner, LORA, {"styleId": style_id}) as by_owner,
        subscribed(live_server, admin, LORA, {"styleId": style_id}) as by_admin,
    ):
        operations = (by_owner, by_admin)
        seen = [[data_of(await operation.next())] for operation in operations]
        assert await _listeners(resources.redis, channel) == 1
        for step in (25.0, 50.0, 75.0):
            await write(training_progress=step)
            for states, operation in zip(seen, operations, strict=True):
                states.append(data_of(await operation.next()))
        await write(lora_status=LoraStatus.FAILED, training_error="out of memory at step 3")
        for states, operation in zip(seen, operations, strict=True):
            states.append(data_of(await operation.next()))
            assert await operation.next() == {"id": "1", "type": "complete"}
    for states in seen:
        assert [(state["loraStatus"], state["trainingProgress"]) for state in states] == [
            ("processing", 0.0),
            ("processing", 25.0),
            ("processing", 50.0),
            ("processing", 75.0),
            ("failed", 75.0),
        ]
        assert states[-1]["trainingError"] == "out of memory at step 3"


async def test_lora_status_wants_exactly_one_id_and_a_visible_entity(
    live_server: str, gql: GraphQLClient, accounts: Accounts
) -> None:
    owner, stranger = await accounts.user(), await accounts.user()
    subject_id = await make_subject(gql, owner)
    style_id = await make_style(gql, owner)

    for variables in ({"subjectId": subject_id, "styleId": style_id}, {}):
        async with subscribed(live_server, owner, LORA, variables) as operation:
            message = await operation.next()
            assert refusal_code(message) == "BAD_USER_INPUT"
            assert set(message["payload"][0]["extensions"]["fields"]) == {"subjectId", "styleId"}
    for variables in ({"subjectId": subject_id}, {"styleId": style_id}):
        async with subscribed(live_server, stranger, LORA, variables) as operation:
            assert refusal_code(await operation.next()) == "NOT_FOUND"
            await operation.nothing_for(0.3)
        async with subscribed(live_server, None, LORA, variables) as operation:
            assert refusal_code(await operation.next()) == "UNAUTHENTICATED"


# --- many at once --------------------------------------------------------------------------------------------------


async def test_a_thousand_subscriptions_share_one_redis_connection(
    live_server: str, app: Starlette, gql: GraphQLClient, accounts: Accounts, session_factory: Any
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    task_ids = await processing_tasks(session_factory, owner, subject_id, 1000)
    resources = app.state.resources
    sockets, per_socket = 10, 100
    query = "subscription($id: UUID!) { uploadTaskProgress(taskId: $id) { id status progress } }"

    async def one_socket(ids: list[str], all_started: asyncio.Event, started: list[int]) -> list[tuple[str, str]]:
        """`per_socket` subscriptions multiplexed on one websocket; answers (task id, status) of each `next`."""
        async with connect(f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {owner.token}"}})
            )
            assert (await receive_message(ws, STEP_TIMEOUT))["type"] == "connection_ack"
            for operation_id, task_id in enumerate(ids):
                payload = {"query": query, "variables": {"id": task_id}}
                await ws.send(json.dumps({"id": str(operation_id), "type": "subscribe", "payload": payload}))
            seen: list[tuple[str, str]] = []
            completed = 0
            while completed < len(ids):
                message = await receive_message(ws, 60)
                if message["type"] == "next":
                    seen.append((ids[int(message["id"])], data_of(message)["status"]))
                    if data_of(message)["status"] == "PROCESSING":
                        started[0] += 1
                        if started[0] == len(task_ids):
                            all_started.set()
                elif message["type"] == "complete":
                    completed += 1
                else:
                    raise AssertionError(message)
            return seen

    all_started, started = asyncio.Event(), [0]
    began = time.monotonic()
    clients = [
        asyncio.create_task(one_socket(task_ids[index * per_socket : (index + 1) * per_socket], all_started, started))
        for index in range(sockets)
    ]
    await asyncio.wait_for(all_started.wait(), 60)
    # Every subscription is live, on one Redis connection of this process listening to all 1000 channels.
    subscriber_counts = [client.get("sub", 0) for client in await resources.redis.client_list()]
    assert sum(1 for count in subscriber_counts if int(count) >= 1000) == 1

    await finish_tasks(session_factory, task_ids)
    # What services.progress.announce does for each, in one round trip.
    async with resources.redis.pipeline(transaction=False) as pipe:
        for task_id in task_ids:
            pipe.publish(task_channel(resources.settings, uuid.UUID(task_id)), b"changed")
        await pipe.execute()
    results = await asyncio.wait_for(asyncio.gather(*clients), 60)
    elapsed = time.monotonic() - began

    seen = [pair for result in results for pair in result]
    assert sorted(seen) == sorted(
        [(task_id, "PROCESSING") for task_id in task_ids] + [(task_id, "COMPLETED") for task_id in task_ids]
    )
    assert elapsed < 60
    await _wait_for(lambda: _hub_watches(app), 0)


async def _hub_watches(app: Starlette) -> int:
    return channel_hub(app.state.resources).watch_count


# --- Redis going away --------------------------------------------------------------------------------------------


@dataclass
class IsolatedServer:
    """This test's own app, on its own embedded Redis, served by its own uvicorn."""

    host: str
    app: Starlette
    redis: EmbeddedRedis

    async def stop_redis(self) -> None:
        await asyncio.to_thread(self.redis.stop)

    async def start_redis(self) -> None:
        await asyncio.to_thread(self.redis.start)

    @property
    def hub_connected(self) -> bool:
        return channel_hub(self.app.state.resources).connected


@asynccontextmanager
async def isolated_server(
    settings: Settings, folder: Path, *, reconnect_seconds: float
) -> AsyncIterator[IsolatedServer]:
    redis = EmbeddedRedis(folder / "redis", durable=False)
    url = await asyncio.to_thread(redis.start)
    # A long recheck period: only Redis (or its return) may wake these subscriptions.
    app = create_app(
        settings.model_copy(
            update={
                "redis_url": url,
                "subscription_recheck_seconds": 60.0,
                "subscription_reconnect_seconds": reconnect_seconds,
            }
        )
    )
    try:
        async with served(app) as host:
            yield IsolatedServer(host=host, app=app, redis=redis)
    finally:
        await app.state.resources.close()
        await asyncio.to_thread(redis.stop)


async def _wait_until(condition: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_redis_restarted_during_a_subscription_still_delivers_the_final_state(
    settings: Settings, tmp_path: Path, gql: GraphQLClient, accounts: Accounts, session_factory: Any
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    [task_id] = await processing_tasks(session_factory, owner, subject_id, 1)

    async with (
        isolated_server(settings, tmp_path, reconnect_seconds=15.0) as server,
        subscribed(server.host, owner, PROGRESS, {"id": task_id}) as operation,
    ):
        assert data_of(await operation.next())["status"] == "PROCESSING"
        assert server.hub_connected

        await server.stop_redis()
        await _wait_until(lambda: not server.hub_connected)
        await operation.nothing_for(0.5)  # the task has not changed: nothing to say yet
        # The task ends while Redis is down: its announcement is lost (there is nobody to publish to).
        await finish_tasks(session_factory, [task_id])
        await operation.nothing_for(0.5)

        await server.start_redis()
        messages = await operation.until_done()
    assert [message["type"] for message in messages] == ["next", "complete"]
    final = data_of(messages[0])
    assert (final["id"], final["status"], final["progress"]) == (task_id, "COMPLETED", 100)


async def test_redis_kept_down_ends_subscriptions_with_the_final_state_or_a_clear_error(
    settings: Settings, tmp_path: Path, gql: GraphQLClient, accounts: Accounts, session_factory: Any
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    running, finishing, late = await processing_tasks(session_factory, owner, subject_id, 3)
    budget = 2.0

    async with (
        isolated_server(settings, tmp_path, reconnect_seconds=budget) as server,
        subscribed(server.host, owner, PROGRESS, {"id": running}) as stuck,
        subscribed(server.host, owner, PROGRESS, {"id": finishing}) as ending,
    ):
        assert data_of(await stuck.next())["status"] == "PROCESSING"
        assert data_of(await ending.next())["status"] == "PROCESSING"
        await server.stop_redis()
        await finish_tasks(session_factory, [finishing])
        began = time.monotonic()
        # Opened while Redis is down: the task as it stands still comes first.
        async with subscribed(server.host, owner, PROGRESS, {"id": late}) as opened_late:
            assert data_of(await opened_late.next())["status"] == "PROCESSING"
            late_messages = await opened_late.until_done(within=budget + 10)
        stuck_messages = await stuck.until_done(within=budget + 10)
        ending_messages = await ending.until_done(within=budget + 10)
        waited = time.monotonic() - began

    # The task that ended during the outage is delivered as it ended...
    assert [message["type"] for message in ending_messages] == ["next", "complete"]
    assert data_of(ending_messages[0])["status"] == "COMPLETED"
    # ...the others end with a clear error instead of hanging, after the reconnection budget.
    for messages in (stuck_messages, late_messages):
        assert [message["type"] for message in messages] == ["next", "complete"]
        payload = messages[0]["payload"]
        assert payload["data"] is None
        assert payload["errors"] == [
            {
                "message": "progress updates are unavailable; query subjectUploadTask",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ]
    assert waited < budget + 10
