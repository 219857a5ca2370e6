"""The servers a bench run uses, chosen the way `make run` chooses them (core/devrun.py): the PostgreSQL of
DATABASE_URL and the Redis of REDIS_URL when set, else embedded ones under `.data/bench`.

Either way the run gets a database of its own (`studio_bench_<random>`), created here and dropped at the end, so a
bench never touches anyone's data. The embedded PostgreSQL is started with `pg_stat_statements` preloaded, which
is how statements per request are counted (bench/statements.py); on a configured server the module is used when
its administrator has preloaded it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from core.devrun import MIGRATE
from core.embedded import EmbeddedPostgres, EmbeddedRedis, run_coroutine
from core.settings import Settings, get_settings

log = logging.getLogger("bench")

_PRELOAD = "pg_stat_statements"


@dataclass(frozen=True)
class BenchServers:
    database_url: str  # SQLAlchemy asyncpg URL of this run's own database, as the app wants it
    database: str
    redis_url: str
    postgres_source: str  # "DATABASE_URL" or "embedded"
    redis_source: str  # "REDIS_URL" or "embedded"

    @property
    def dsn(self) -> str:
        """The same database in the libpq spelling asyncpg.connect() takes."""
        return plain_dsn(self.database_url)


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin_url(url: str) -> str:
    """The maintenance database (`postgres`) of the server `url` points at, with the same credentials."""
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


async def _admin_execute(admin_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(plain_dsn(admin_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _preloaded(admin_url: str) -> bool:
    connection = await asyncpg.connect(plain_dsn(admin_url))
    try:
        libraries = await connection.fetchval("SHOW shared_preload_libraries")
    finally:
        await connection.close()
    return _PRELOAD in [name.strip() for name in str(libraries).split(",")]


async def _drop_leftovers(admin_url: str) -> None:
    """Bench databases a killed run left behind. Only ever called on the bench's own embedded cluster, whose
    folder lock guarantees no other run is using it."""
    connection = await asyncpg.connect(plain_dsn(admin_url))
    try:
        names = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'studio\\_bench\\_%'")
        for row in names:
            log.info("dropping %s, left by an earlier run", row["datname"])
            await connection.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()


def _start_embedded_postgres(folder: Path) -> EmbeddedPostgres:
    """The bench's own cluster (throwaway: no fsync), restarted once with pg_stat_statements preloaded when its
    settings do not have it yet; ALTER SYSTEM keeps that in the cluster for later runs."""
    postgres = EmbeddedPostgres(folder, database="postgres", durable=False)
    postgres.start()
    if not run_coroutine(_preloaded(postgres.admin_url)):
        log.info("enabling %s in the bench cluster (one restart)", _PRELOAD)
        run_coroutine(_admin_execute(postgres.admin_url, f"ALTER SYSTEM SET shared_preload_libraries = '{_PRELOAD}'"))
        postgres.stop()
        postgres.start()
    run_coroutine(_drop_leftovers(postgres.admin_url))
    return postgres


@contextlib.contextmanager
def bench_servers(data_dir: Path) -> Iterator[BenchServers]:
    """PostgreSQL (with a fresh, empty database) and Redis for one bench run; everything started or created
    here is stopped or dropped when the block exits."""
    settings = get_settings()
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    database = f"studio_bench_{uuid.uuid4().hex[:10]}"
    admin_url: str | None = None
    try:
        if settings.database_url:
            admin_url, postgres_source = _admin_url(settings.database_url), "DATABASE_URL"
        else:
            postgres = _start_embedded_postgres(data_dir / "postgres")
            started.append(postgres)
            admin_url, postgres_source = postgres.admin_url, "embedded"
        if settings.redis_url:
            redis_url, redis_source = settings.redis_url, "REDIS_URL"
        else:
            redis = EmbeddedRedis(data_dir / "redis", durable=False)
            started.append(redis)
            redis_url, redis_source = redis.start(), "embedded"
        # The name is ours (hex), so quoting is enough.
        run_coroutine(_admin_execute(admin_url, f'CREATE DATABASE "{database}"'))
        database_url = (
            make_url(admin_url)
            .set(drivername="postgresql+asyncpg", database=database)
            .render_as_string(hide_password=False)
        )
        yield BenchServers(database_url, database, redis_url, postgres_source, redis_source)
    finally:
        try:
            if admin_url is not None:
                run_coroutine(_admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            for server in reversed(started):
                server.stop()


def migrated_settings(servers: BenchServers, run_name: str) -> Settings:
    """Migrate the bench database to head with the command `make run` runs, and answer settings for an app built in
    the bench's own process on it: a Redis prefix and a signing secret of this run's own."""
    environment = {**os.environ, "DATABASE_URL": servers.database_url, "REDIS_URL": servers.redis_url}
    subprocess.run(MIGRATE, env=environment, check=True, stdin=subprocess.DEVNULL, capture_output=True)  # noqa: S603
    return Settings(
        environment="test",
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        redis_prefix=f"{run_name}-{uuid.uuid4().hex[:8]}",
        secret_key=SecretStr(f"{run_name}-secret-key-for-this-run-only"),
        first_superuser_password=None,
    )
