"""The API behind a real PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer-transaction; README, "Deploying
and scaling"): an API process started as a deployment starts it, its pool larger than PgBouncer's server
connections, so that concurrent requests' transactions really move between server connections, answers
concurrent reads (SQLAlchemy's statements and the loaders' direct selects) and writes exactly as without it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.settings import Settings
from db.engine import create_engine
from tests.api_process import start_api_process
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.conftest import worker_environment
from tests.jobs.lora_helpers import make_subject
from tests.pgbouncer import PgBouncer, pgbouncer_binary, serve_pgbouncer

pytestmark = pytest.mark.skipif(pgbouncer_binary() is None, reason="pgbouncer is not installed")

# Each request's statements take turns on these few server connections, while the API holds many more of its own.
SERVER_CONNECTIONS = 3
API_POOL_SIZE = 12
CONCURRENT_READS = 48
# Root list, count, the caller's row, and relations the loaders answer with direct selects (media by id, base images).
READ = """query { me { id email } subjects(limit: 20) {
  count data { id name coverImageUrl coverImageMedia { id width height } baseImages { imageUrl } } } }"""


@pytest.fixture
def pgbouncer(settings: Settings, tmp_path: Path) -> Iterator[PgBouncer]:
    assert settings.database_url
    folder = tmp_path / "pgbouncer"
    folder.mkdir()
    with serve_pgbouncer(settings.database_url, folder, server_connections=SERVER_CONNECTIONS) as bouncer:
        yield bouncer


async def test_the_api_answers_concurrent_reads_and_writes_through_pgbouncer_in_transaction_mode(
    settings: Settings, pgbouncer: PgBouncer, accounts: Accounts, tmp_path: Path
) -> None:
    assert settings.database_url
    env = worker_environment(
        settings,
        DATABASE_URL=pgbouncer.url(settings.database_url),
        DATABASE_POOLER="pgbouncer-transaction",
        DATABASE_POOL_SIZE=str(API_POOL_SIZE),
        LOG_LEVEL="WARNING",
    )
    api = start_api_process(env, tmp_path / "api.log")
    try:
        await api.wait_ready()
        owner = await accounts.user()
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
            gql = GraphQLClient(client)
            # Writes, side by side: each a transaction of several statements (subject, its cover's media row).
            created = set(await asyncio.gather(*(make_subject(gql, owner) for _ in range(6))))
            answers = await asyncio.gather(*(gql(READ, as_=owner) for _ in range(CONCURRENT_READS)))
    finally:
        api.stop()
    for body in answers:
        assert not body.get("errors"), body["errors"]
        assert body["data"]["me"] == {"id": str(owner.id), "email": owner.user.email}
        subjects = body["data"]["subjects"]
        assert subjects["count"] == len(created)
        assert {subject["id"] for subject in subjects["data"]} == created
        assert all(subject["coverImageMedia"]["width"] == 8 for subject in subjects["data"])
    # The one thing PgBouncer cannot carry: the statement timeout, which the operator is told to set on the role.
    assert "ALTER ROLE <user> SET statement_timeout = '30s'" in api.log_path.read_text()


async def test_without_the_setting_pgbouncer_refuses_the_connection(settings: Settings, pgbouncer: PgBouncer) -> None:
    """Why the setting exists: the start-up parameters the processes send PostgreSQL directly (jit, and the
    statement timeout) PgBouncer refuses outright, so with DATABASE_POOLER unset no connection is made at all."""
    assert settings.database_url
    engine = create_engine(pgbouncer.url(settings.database_url), pool_size=1, statement_timeout_seconds=30)
    try:
        with pytest.raises(DBAPIError, match="unsupported startup parameter: jit"):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
