"""The Alembic revisions go up, down to nothing and up again on a real database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _asyncpg_params, migrate
from tests.session_servers import TestServers


@pytest.fixture
def scratch_database(servers: TestServers) -> Iterator[str]:
    admin = make_url(servers.database_admin_url)
    name = f"studio_migrations_{uuid.uuid4().hex[:10]}"

    async def admin_execute(sql: str) -> None:
        connection = await asyncpg.connect(**_asyncpg_params(admin))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        connection = await asyncpg.connect(**_asyncpg_params(make_url(url)))
        try:
            rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row["tablename"] for row in rows}
        finally:
            await connection.close()

    return asyncio.run(read())


def _default_shot_types(url: str) -> list[str]:
    async def read() -> list[str]:
        connection = await asyncpg.connect(**_asyncpg_params(make_url(url)))
        try:
            rows = await connection.fetch("SELECT name FROM shot_types WHERE owner_id IS NULL AND public ORDER BY name")
            return [row["name"] for row in rows]
        finally:
            await connection.close()

    return asyncio.run(read())


def test_upgrade_downgrade_upgrade(scratch_database: str) -> None:
    migrate(scratch_database, "head")
    tables = _tables(scratch_database)
    assert {"users", "subjects", "styles", "shot_types", "shooting_guidelines", "media_resources"} <= tables
    assert "front_full_body" in _default_shot_types(scratch_database)

    migrate(scratch_database, "base", down=True)
    assert _tables(scratch_database) == {"alembic_version"}

    migrate(scratch_database, "head")
    assert _tables(scratch_database) == tables
    # The seed is not duplicated by a second upgrade.
    defaults = _default_shot_types(scratch_database)
    assert len(defaults) == len(set(defaults)) >= 4
