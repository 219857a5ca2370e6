"""`python -m bench.keyset`: a page deep in a 100,000-row list, read by `skip` and by `after` (keyset).

Seeds 100,000 subjects owned by one superuser (plain INSERT ... SELECT, a few seconds), starts the API as
`make run` does (bench/__main__.running), and at each depth reads the same 100-row page both ways: `skip: depth`,
and `after:` the cursor of the row just before it (taken once, outside the timing). Each page is read one request
after another, `--repeat` times after two warm-up reads, and the median is printed in ms per page, for the
default order (newest first) and for `orderBy: {field: NAME}`; beside it, PostgreSQL's own execution time of the
same page statement (services/crud.page_statement), which HTTP and GraphQL do not blur. The selection is what an
infinitely scrolling grid asks for (`data { id name surname createdAt }` and `pageInfo`), without `count`, which
reads every matching row at any depth (graph/lists.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.dialects.postgresql.base import PGDialect

from bench.__main__ import HOST, _environment, _migrate, running
from bench.servers import bench_servers
from core.devrun import api_command
from core.embedded import free_port
from core.security import create_access_token, hash_password
from db.models import Subject
from services.crud import page_statement
from services.keyset import SortKey, ordering

log = logging.getLogger("bench.keyset")

ROWS = 100_000
PAGE = 100
DEPTHS = (100, 10_000, 50_000, 90_000)
ORDERS: dict[str, dict[str, str] | None] = {"default (newest first)": None, "orderBy NAME": {"field": "NAME"}}

DOCUMENT = """query($order: SubjectOrder, $skip: Int! = 0, $after: String, $limit: Int!) {
  subjects(orderBy: $order, skip: $skip, after: $after, limit: $limit) {
    pageInfo { hasNextPage endCursor } data { id name surname createdAt } } }"""

_SEED = """
INSERT INTO subjects (id, owner_id, name, surname, slug, age_class, gender, subject_type, lora_status,
                      created_at, updated_at)
SELECT gen_random_uuid(), $1::uuid,
       'Subject ' || lpad((i * 7919 % $2)::text, 6, '0'),        -- names in another order than creation
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'Surname ' || (i % 97) END,
       'bench-subject-' || i, 'adult', 'FEMALE', 'AI', 'none',
       timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(1, $2) AS i
"""


async def seed(dsn: str) -> uuid.UUID:
    connection = await asyncpg.connect(dsn)
    try:
        superuser = uuid.uuid4()
        await connection.execute(
            "INSERT INTO users (id, email, hashed_password, full_name, is_active, is_superuser) "
            "VALUES ($1, 'keyset-bench@example.com', $2, 'Keyset bench', true, true)",
            superuser,
            hash_password(uuid.uuid4().hex),
        )
        await connection.execute(_SEED, superuser, ROWS)
        await connection.execute("ANALYZE")
        return superuser
    finally:
        await connection.close()


# The orders as graph/lists.Listing.ordering builds them for `subjects`: its default, and orderBy NAME.
SQL_ORDERS = {
    "default (newest first)": ordering(SortKey("created_at", descending=True), SortKey("id")),
    "orderBy NAME": ordering(SortKey("name")),
}


async def database_ms(dsn: str, repeat: int) -> dict[tuple[str, int], tuple[float, float]]:
    """PostgreSQL's own execution time (EXPLAIN ANALYZE, median) of the page statement services/crud.list_page
    runs for a superuser, by skip and by after, at each depth: the API's figures without HTTP and GraphQL."""
    connection = await asyncpg.connect(dsn)
    live = [Subject.deleted_at.is_(None)]  # a superuser's visible set (services/visibility.list_filter)
    found: dict[tuple[str, int], tuple[float, float]] = {}
    try:
        for order_name, order in SQL_ORDERS.items():
            for depth in DEPTHS:
                before = page_statement(Subject, where=live, order=order, skip=depth - 1, limit=0, count=False)
                row = await connection.fetchrow(_sql(before))
                by_skip = page_statement(Subject, where=live, order=order, skip=depth, limit=PAGE, count=False)
                by_after = page_statement(
                    Subject, where=live, order=order, after=order.values(_Row(row)), limit=PAGE, count=False
                )
                found[order_name, depth] = (
                    await _execution_ms(connection, _sql(by_skip), repeat),
                    await _execution_ms(connection, _sql(by_after), repeat),
                )
    finally:
        await connection.close()
    return found


class _Row:
    def __init__(self, record: Any) -> None:
        self.record = record

    def __getattr__(self, name: str) -> Any:
        return self.record[name]


def _sql(statement: Any) -> str:
    # SQLAlchemy leaves the dialects' constructors unannotated.
    dialect = PGDialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def _execution_ms(connection: asyncpg.Connection, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        plan = await connection.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        times.append(float(json.loads(plan)[0]["Execution Time"]))
    return statistics.median(times)


async def read(client: httpx.AsyncClient, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": DOCUMENT, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"the API answered {response.status_code}: {response.text[:500]}")
    page: dict[str, Any] = body["data"]["subjects"]
    return page


async def median_ms(client: httpx.AsyncClient, variables: dict[str, Any], repeat: int) -> tuple[float, list[str]]:
    """The median time of one page read `repeat` times (after two warm-up reads), and the page's ids."""
    ids: list[str] = []
    for _ in range(2):
        ids = [item["id"] for item in (await read(client, variables))["data"]]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await read(client, variables)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), ids


async def measure(base_url: str, token: str, repeat: int) -> list[tuple[str, int, float, float]]:
    rows = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        for order_name, order in ORDERS.items():
            for depth in DEPTHS:
                # The cursor of the row just before the page: the page by `after` starts where `skip: depth` does.
                before = await read(client, {"order": order, "skip": depth - 1, "limit": 1})
                cursor = before["pageInfo"]["endCursor"]
                by_skip, skip_ids = await median_ms(client, {"order": order, "skip": depth, "limit": PAGE}, repeat)
                by_after, after_ids = await median_ms(client, {"order": order, "after": cursor, "limit": PAGE}, repeat)
                if skip_ids != after_ids or len(skip_ids) != PAGE:
                    raise RuntimeError(f"{order_name} at {depth}: the two pages differ")
                log.info(
                    "%s, rows %d-%d: skip %.1f ms, after %.1f ms", order_name, depth, depth + PAGE, by_skip, by_after
                )
                rows.append((order_name, depth, by_skip, by_after))
    return rows


def render(rows: Sequence[tuple[str, int, float, float]], database: dict[tuple[str, int], tuple[float, float]]) -> str:
    lines = [
        "| order | page (rows) | API by skip, ms | API by after, ms | SQL by skip, ms | SQL by after, ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for order_name, depth, by_skip, by_after in rows:
        sql_skip, sql_after = database[order_name, depth]
        lines.append(
            f"| {order_name} | {depth:,}-{depth + PAGE:,} | {by_skip:.1f} | {by_after:.1f} | {sql_skip:.2f} "
            f"| {sql_after:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.keyset", description=__doc__)
    parser.add_argument("--repeat", type=int, default=15, help="timed reads of each page (default 15)")
    parser.add_argument("--data-dir", type=Path, default=Path(".data/bench"), help="embedded servers' folder")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    data_dir: Path = options.data_dir.absolute()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root, the embedded PostgreSQL runs as another user who must get through
    secret_key = secrets.token_urlsafe(32)
    with bench_servers(data_dir) as servers:
        # /metrics as a deployment protects it (this bench does not read it).
        env = _environment(servers, data_dir / "storage", secret_key, metrics_token=secrets.token_urlsafe(16))
        _migrate(env)
        started = time.monotonic()
        superuser = asyncio.run(seed(servers.dsn))
        log.info("seeded %d subjects in %.1fs", ROWS, time.monotonic() - started)
        database = asyncio.run(database_ms(servers.dsn, 5))
        token = create_access_token(superuser, secret=secret_key, expires_minutes=60)
        port = free_port()
        with running("api", api_command(HOST, port), env, logs, port):
            rows = asyncio.run(measure(f"http://{HOST}:{port}", token, options.repeat))
    print()
    print(render(rows, database))
    print(
        f"\n{ROWS:,} subjects, pages of {PAGE}; API: median of {options.repeat} sequential requests per page; "
        "SQL: PostgreSQL's execution time (EXPLAIN ANALYZE), median of 5"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
