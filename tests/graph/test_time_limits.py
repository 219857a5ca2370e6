"""Time limits (docs/api.md, "Limits and cost"): PostgreSQL's `statement_timeout` on every connection, and the
longest a query or mutation may run. Both answer QUERY_TOO_COMPLEX, and a mutation stopped either way has
written nothing.

A real wait makes each test: another transaction holds a row lock on the shot type the mutation updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from graph.app import create_app
from tests.conftest import Account, Accounts, GraphQLClient
from tests.graph.test_shot_types import UPDATE, create

# Limits far below anything the lock would allow, and far above what an unblocked mutation needs here.
SHORT = 0.5
# A guard against a hang, not a measurement: far longer than any limit under test.
NEVER = 60


@asynccontextmanager
async def limited_client(settings: Settings, **limits: float) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=limits))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.resources.close()


@asynccontextmanager
async def row_locked(session_factory: async_sessionmaker[AsyncSession], shot_type_id: str) -> AsyncIterator[None]:
    async with session_factory() as session, session.begin():
        await session.execute(text("SELECT 1 FROM shot_types WHERE id = :id FOR UPDATE"), {"id": shot_type_id})
        yield


async def rename(client: httpx.AsyncClient, account: Account, shot_type_id: str, name: str) -> tuple[int, Any]:
    answer = await client.post(
        "/graphql",
        json={"query": UPDATE, "variables": {"id": shot_type_id, "input": {"name": name}}},
        headers=account.headers,
    )
    return answer.status_code, orjson.loads(answer.content)


async def name_of(gql: GraphQLClient, account: Account, shot_type_id: str) -> str:
    query = "query($id: UUID!) { shotType(id: $id) { name } }"
    return str((await gql.data(query, {"id": shot_type_id}, as_=account))["shotType"]["name"])


async def test_a_statement_past_statement_timeout_is_query_too_complex_and_writes_nothing(
    gql: GraphQLClient, accounts: Accounts, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    shot_type = await create(gql, owner)
    async with limited_client(settings, database_statement_timeout_seconds=SHORT) as client:
        async with row_locked(session_factory, shot_type["id"]), asyncio.timeout(NEVER):
            status, body = await rename(client, owner, shot_type["id"], "renamed while locked")
        assert status == 200
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
        assert error["message"] == "A database statement ran past its time limit; ask for less at once"
        assert await name_of(gql, owner, shot_type["id"]) == shot_type["name"]
        # Once the lock is gone the same mutation goes through on the same app: its connections still work.
        status, body = await rename(client, owner, shot_type["id"], "renamed after")
        assert status == 200 and body["data"]["updateShotType"]["name"] == "renamed after", body


async def test_an_operation_past_the_execution_limit_is_stopped_and_writes_nothing(
    gql: GraphQLClient, accounts: Accounts, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    shot_type = await create(gql, owner)
    limits = {"database_statement_timeout_seconds": 0, "execution_timeout_seconds": SHORT}
    async with limited_client(settings, **limits) as client:
        # Answered while the lock is still held: the operation was stopped, not left waiting (without the limit it
        # would wait for the lock forever, and the guard below would fail the test).
        async with row_locked(session_factory, shot_type["id"]), asyncio.timeout(NEVER):
            status, body = await rename(client, owner, shot_type["id"], "renamed while locked")
        assert status == 200
        assert body == {
            "data": None,
            "errors": [
                {
                    "message": f"The operation ran longer than the {SHORT:g} s limit; ask for less at once",
                    "extensions": {"code": "QUERY_TOO_COMPLEX"},
                }
            ],
        }
        assert await name_of(gql, owner, shot_type["id"]) == shot_type["name"]
        status, body = await rename(client, owner, shot_type["id"], "renamed after")
        assert status == 200 and body["data"]["updateShotType"]["name"] == "renamed after", body
