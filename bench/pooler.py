"""`python -m bench.pooler`: what DATABASE_POOLER=pgbouncer-transaction costs per statement (README, "Deploying and
scaling"; bench/README.md).

The API's two statement paths, each run by N concurrent tasks for D seconds on one engine of N connections: a read
through SQLAlchemy's execution in autocommit (as the caller and the root reads run) and a loader's direct select
(db/direct_select.py). Three setups:
  direct              PostgreSQL, the engine of DATABASE_POOLER=none (named statements, cached per connection)
  direct, unnamed     PostgreSQL, the engine of DATABASE_POOLER=pgbouncer-transaction (unnamed statements)
  pgbouncer           that engine through PgBouncer in transaction mode, with N server connections
Prints statements/s, p50 and p99 of each. Needs Debian's pgbouncer (`make test` installs it) for the third.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import any_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.servers import bench_servers
from core.devrun import MIGRATE
from core.settings import DatabasePooler
from db.direct_select import DirectSelect
from db.engine import create_engine, read_engine
from db.models import ShotType
from tests.jobs.zip_helpers import DEFAULT_SHOT_TYPES, default_shot_type_id
from tests.pgbouncer import pgbouncer_binary, serve_pgbouncer


class ShotTypeName(NamedTuple):
    id: uuid.UUID
    name: str


# The shot types the first migration seeds: rows every database has.
SHOT_TYPE_IDS = [uuid.UUID(default_shot_type_id(shot)) for shot in DEFAULT_SHOT_TYPES]
BY_IDS = DirectSelect(
    select(ShotType.id, ShotType.name).where(ShotType.id == any_(bindparam("ids"))),
    parameter="ids",
    row_type=ShotTypeName,
)
BY_ID = select(ShotType.id, ShotType.name).where(ShotType.id == bindparam("id"))

Statement = Callable[[AsyncEngine], Awaitable[object]]


async def sqlalchemy_read(engine: AsyncEngine) -> object:
    async with read_engine(engine).connect() as connection:
        return (await connection.execute(BY_ID, {"id": SHOT_TYPE_IDS[0]})).all()


async def direct_select(engine: AsyncEngine) -> object:
    return await BY_IDS.rows(engine, SHOT_TYPE_IDS)


async def measure(engine: AsyncEngine, statement: Statement, clients: int, seconds: float) -> list[float]:
    """Each statement's time, from `clients` tasks running it back to back for `seconds` (after a warm-up)."""
    for _ in range(clients * 5):
        await statement(engine)
    times: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await statement(engine)
            times.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return times


async def run_setup(url: str, pooler: DatabasePooler, clients: int, seconds: float) -> dict[str, list[float]]:
    engine = create_engine(url, pool_size=clients, max_overflow=0, pooler=pooler)
    try:
        return {
            "SQLAlchemy read": await measure(engine, sqlalchemy_read, clients, seconds),
            "direct select": await measure(engine, direct_select, clients, seconds),
        }
    finally:
        await engine.dispose()


def show(setup: str, results: dict[str, list[float]], seconds: float) -> None:
    for path, times in results.items():
        quantiles = statistics.quantiles(times, n=100)
        print(
            f"{setup:<18} {path:<16} {len(times) / seconds:>9,.0f}/s"
            f"   p50 {quantiles[49] * 1e6:>7,.0f} us   p99 {quantiles[98] * 1e6:>7,.0f} us"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    binary = pgbouncer_binary()
    with tempfile.TemporaryDirectory() as folder, bench_servers(Path(folder)) as servers:
        env = {**os.environ, "DATABASE_URL": servers.database_url}
        subprocess.run(MIGRATE, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)  # noqa: S603
        print(f"{options.clients} clients, {options.seconds:g} s per path, PostgreSQL: {servers.postgres_source}")
        url = servers.database_url
        show("direct", asyncio.run(run_setup(url, "none", options.clients, options.seconds)), options.seconds)
        unnamed = asyncio.run(run_setup(url, "pgbouncer-transaction", options.clients, options.seconds))
        show("direct, unnamed", unnamed, options.seconds)
        if binary is None:
            print("pgbouncer           not installed: skipped")
            return
        bouncer_folder = Path(folder) / "pgbouncer"
        bouncer_folder.mkdir()
        with serve_pgbouncer(url, bouncer_folder, server_connections=options.clients) as bouncer:
            through = asyncio.run(
                run_setup(bouncer.url(url), "pgbouncer-transaction", options.clients, options.seconds)
            )
        show("pgbouncer", through, options.seconds)


if __name__ == "__main__":
    main()
