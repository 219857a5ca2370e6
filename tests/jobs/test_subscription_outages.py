"""A subscription whose API process loses PostgreSQL: a short outage is a pause in the stream, which then delivers
the final state; a long one ends it with SERVICE_UNAVAILABLE, never INTERNAL_SERVER_ERROR or a hang.

The app under test is this test's own, served by uvicorn on a real socket, reaching PostgreSQL through a TCP proxy
(tests/tcp_proxy.py) that the test cuts, as a database restart does. Redis and the database are the shared ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from core.settings import Settings
from graph.app import create_app
from graph.refusals import UNAVAILABLE_MESSAGE
from services.progress import announce, task_channel
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import PROGRESS, data_of, finish_tasks, processing_tasks, subscribed
from tests.serving import served
from tests.tcp_proxy import TcpProxy


@dataclass
class ProxiedServer:
    host: str
    app: Starlette
    postgres: TcpProxy


@asynccontextmanager
async def server_behind_a_postgres_proxy(
    settings: Settings, *, reconnect_seconds: float
) -> AsyncIterator[ProxiedServer]:
    assert settings.database_url
    database = make_url(settings.database_url)
    postgres = TcpProxy(database.host or "127.0.0.1", database.port or 5432)
    await postgres.start()
    proxied_url = database.set(host="127.0.0.1", port=postgres.port).render_as_string(hide_password=False)
    # A long recheck period: only an announcement (or the outage budget) wakes these subscriptions.
    app = create_app(
        settings.model_copy(
            update={
                "database_url": proxied_url,
                "subscription_recheck_seconds": 60.0,
                "subscription_reconnect_seconds": reconnect_seconds,
            }
        )
    )
    try:
        async with served(app) as host:
            try:
                yield ProxiedServer(host=host, app=app, postgres=postgres)
            finally:
                await postgres.restore()  # the app's shutdown closes its pool through it
    finally:
        await app.state.resources.close()
        await postgres.cut()


async def test_a_subscription_outlives_a_short_database_outage_and_delivers_the_final_state(
    settings: Settings, gql: GraphQLClient, accounts: Accounts, session_factory: Any
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    [task_id] = await processing_tasks(session_factory, owner, subject_id, 1)

    async with (
        server_behind_a_postgres_proxy(settings, reconnect_seconds=10.0) as server,
        subscribed(server.host, owner, PROGRESS, {"id": task_id}) as operation,
    ):
        assert data_of(await operation.next())["status"] == "PROCESSING"
        await server.postgres.cut()
        # The task ends meanwhile (a worker reaches PostgreSQL another way) and says so: the subscription's re-read
        # meets the outage, and waits instead of ending.
        await finish_tasks(session_factory, [task_id])
        await announce(server.app.state.resources.redis, task_channel(settings, uuid.UUID(task_id)))
        await operation.nothing_for(2.0)
        await server.postgres.restore()
        messages = await operation.until_done()

    assert [message["type"] for message in messages] == ["next", "complete"]
    final = data_of(messages[0])
    assert (final["id"], final["status"], final["progress"]) == (task_id, "COMPLETED", 100)


async def test_a_subscription_ends_with_service_unavailable_when_the_database_stays_away(
    settings: Settings, gql: GraphQLClient, accounts: Accounts, session_factory: Any
) -> None:
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    [task_id] = await processing_tasks(session_factory, owner, subject_id, 1)
    budget = 2.0

    async with (
        server_behind_a_postgres_proxy(settings, reconnect_seconds=budget) as server,
        subscribed(server.host, owner, PROGRESS, {"id": task_id}) as operation,
    ):
        assert data_of(await operation.next())["status"] == "PROCESSING"
        await server.postgres.cut()
        began = time.monotonic()
        await announce(server.app.state.resources.redis, task_channel(settings, uuid.UUID(task_id)))
        messages = await operation.until_done(within=budget + 10)
        waited = time.monotonic() - began

    assert [message["type"] for message in messages] == ["next", "complete"]
    payload = messages[0]["payload"]
    assert payload["data"] is None
    assert payload["errors"] == [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}]
    assert budget <= waited < budget + 5
