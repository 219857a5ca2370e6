"""Which PostgreSQL and Redis the test session uses: the machine's own when they answer (127.0.0.1:5432 as user
postgres, 127.0.0.1:6379), else embedded ones in a temporary folder, stopped and removed when the session exits.

TEST_DATABASE_URL (a database the tests may CREATE/DROP databases from) and TEST_REDIS_URL override the choice.
The tests never use the admin database itself: they create a uniquely named one and drop only that.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import redis

from core.embedded import EmbeddedPostgres, EmbeddedRedis, run_coroutine

log = logging.getLogger(__name__)

MACHINE_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
MACHINE_REDIS_URL = "redis://127.0.0.1:6379/0"
_CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class TestServers:
    """Where this test session's servers are."""

    __test__ = False  # a helper, not a test class, whatever pytest makes of its name

    database_admin_url: str  # SQLAlchemy asyncpg URL of a maintenance database (`postgres`), as a superuser
    redis_url: str
    postgres_source: str  # "TEST_DATABASE_URL", "machine" or "embedded"
    redis_source: str  # "TEST_REDIS_URL", "machine" or "embedded"

    def describe(self) -> str:
        """One line for the pytest header or a log: where the servers are (no credentials)."""
        postgres, redis_ = urlsplit(self.database_admin_url), urlsplit(self.redis_url)
        return (
            f"PostgreSQL: {self.postgres_source} at {postgres.hostname}:{postgres.port}; "
            f"Redis: {self.redis_source} at {redis_.hostname}:{redis_.port}"
        )


def asyncpg_url(url: str) -> str:
    """The same URL with SQLAlchemy's asyncpg driver, whichever PostgreSQL spelling it came in."""
    for scheme in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+asyncpg://" + url[len(scheme) :]
    raise ValueError("TEST_DATABASE_URL must be a postgresql:// URL")


def plain_url(url: str) -> str:
    """The libpq spelling asyncpg.connect() accepts."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _can_create_databases(url: str) -> bool:
    try:
        connection = await asyncpg.connect(plain_url(url), timeout=_CHECK_TIMEOUT_SECONDS)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    try:
        return bool(
            await connection.fetchval(
                "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user",
                timeout=_CHECK_TIMEOUT_SECONDS,
            )
        )
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    finally:
        await connection.close()


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=_CHECK_TIMEOUT_SECONDS, socket_timeout=_CHECK_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class _EmbeddedServers:
    """Embedded servers under one temporary folder, started on first need, stopped and removed on close."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="studio-test-servers-"))
        # mkdtemp makes it 0700; as root, PostgreSQL runs as another user who must be able to pass through.
        self.folder.chmod(0o711)
        self.servers: list[EmbeddedPostgres | EmbeddedRedis] = []

    def postgres(self) -> str:
        server = EmbeddedPostgres(self.folder / "postgres", durable=False)
        self.servers.append(server)
        server.start()
        return server.admin_url

    def redis(self) -> str:
        server = EmbeddedRedis(self.folder / "redis", durable=False)
        self.servers.append(server)
        return server.start()

    def close(self) -> None:
        try:
            for server in reversed(self.servers):
                server.stop()
        finally:
            for server in self.servers:
                if isinstance(server, EmbeddedPostgres):  # its cluster may sit outside the folder (see embedded)
                    shutil.rmtree(server.pgdata, ignore_errors=True)
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def test_servers() -> Iterator[TestServers]:
    """The servers for a test session: embedded ones are started here and stopped (their folder removed)
    when the block exits.

    Enter it from the main thread (a sync session fixture does): embedded servers are tied to the thread
    that starts them, so that a killed test run never leaves them behind (see core.embedded).
    """
    embedded = _EmbeddedServers()
    try:
        override = os.environ.get("TEST_DATABASE_URL")
        if override:
            database_url, postgres_source = asyncpg_url(override), "TEST_DATABASE_URL"
        elif run_coroutine(_can_create_databases(MACHINE_POSTGRES_URL)):
            database_url, postgres_source = MACHINE_POSTGRES_URL, "machine"
        else:
            database_url, postgres_source = embedded.postgres(), "embedded"

        override = os.environ.get("TEST_REDIS_URL")
        if override:
            redis_url, redis_source = override, "TEST_REDIS_URL"
        elif _redis_answers(MACHINE_REDIS_URL):
            redis_url, redis_source = MACHINE_REDIS_URL, "machine"
        else:
            redis_url, redis_source = embedded.redis(), "embedded"

        servers = TestServers(database_url, redis_url, postgres_source, redis_source)
        log.info("test servers: %s", servers.describe())
        yield servers
    finally:
        embedded.close()


test_servers.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
