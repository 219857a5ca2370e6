"""SQL statements per request, counted by the server, with no hook in the application.

Method: `pg_stat_statements` (preloaded in the bench's embedded PostgreSQL, see bench/servers.py) counts every
statement each backend executes, per database. Before a counting pass its counters are reset; the pass sends a
known number of requests one after another (after the load run, so pools are warm and no connection set-up is
counted); the statements executed in the bench database since the reset, divided by the requests, are the
statements per request. They are split into SQL proper (SELECT, ...) and transaction control (BEGIN, COMMIT,
ROLLBACK, SAVEPOINT), which is one more round trip each. The empty statement (`;`) that SQLAlchemy's
`pool_pre_ping` sends inside its own BEGIN/ROLLBACK is not recorded by the module, but its BEGIN and ROLLBACK are.

On a configured server without the module (it can only be enabled by restarting that server), the fallback is
`pg_stat_database`: committed plus rolled-back transactions in the bench database per request. That is a
transactions count, labelled as such in the report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START TRANSACTION", "END")
# pg_stat_database's counters reach shared memory when a backend goes idle, at most once a second; waiting this
# long around a pass makes them complete. pg_stat_statements counts at once.
_STATS_FLUSH_SECONDS = 1.5


@dataclass(frozen=True)
class StatementCount:
    sql: float  # per request
    transaction_control: float  # per request
    method: str  # "pg_stat_statements" or "transactions"
    top: list[tuple[int, str]]  # (calls, query) of the most executed statements in the pass

    def describe(self) -> str:
        if self.method == "transactions":
            return f"{self.sql:.1f} tx"
        return f"{self.sql:.1f} (+{self.transaction_control:.1f} tx)"


class StatementCounter:
    """Counts what the bench database executes during `count(...)`, through an admin connection of its own."""

    def __init__(self, connection: asyncpg.Connection, database: str, method: str) -> None:
        self.connection = connection
        self.database = database
        self.method = method

    @classmethod
    async def open(cls, dsn: str, database: str) -> StatementCounter:
        connection = await asyncpg.connect(dsn)
        try:
            # In the bench database itself, which is dropped at the end; it needs the module preloaded.
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await connection.fetchval("SELECT count(*) FROM pg_stat_statements")
            method = "pg_stat_statements"
        except asyncpg.PostgresError:
            method = "transactions"
        return cls(connection, database, method)

    async def close(self) -> None:
        await self.connection.close()

    async def count(self, requests: int, run: Callable[[], Awaitable[int]]) -> StatementCount:
        """Statements per request while `run()` sends `requests` requests (it answers how many succeeded)."""
        if self.method != "pg_stat_statements":
            await asyncio.sleep(_STATS_FLUSH_SECONDS)  # the load run before must not leak into ours
            before = await self._transactions()
            succeeded = await run()
            await asyncio.sleep(_STATS_FLUSH_SECONDS)
            _check(succeeded, requests)
            return StatementCount((await self._transactions() - before) / requests, 0.0, self.method, [])
        await self.connection.execute("SELECT pg_stat_statements_reset()")
        _check(await run(), requests)
        rows = await self.connection.fetch(
            """
            SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'
            ORDER BY s.calls DESC
            """,
            self.database,
        )
        control = sum(row["calls"] for row in rows if row["query"].lstrip().upper().startswith(_TRANSACTION_CONTROL))
        total = sum(row["calls"] for row in rows)
        top = [(row["calls"], " ".join(row["query"].split())) for row in rows[:12]]
        return StatementCount((total - control) / requests, control / requests, self.method, top)

    async def _transactions(self) -> int:
        value = await self.connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", self.database
        )
        return int(value or 0)


def _check(succeeded: int, requests: int) -> None:
    if succeeded != requests:
        raise RuntimeError(f"statement counting: only {succeeded} of {requests} requests succeeded")
