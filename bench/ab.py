"""Two builds of the API side by side on one database: CPU per request and statements per request, alternating.

    .venv/bin/python -m bench.ab OTHER_CHECKOUT [--rounds 3] [--duration 8] [--only TEXT]

On a shared machine throughput moves with everyone else's load between two runs minutes apart; here two API
processes, this checkout's and OTHER_CHECKOUT's (a `git worktree` of another commit), are started as `make run`
starts one, on the same seeded bench database (bench/seed.py, the read bench's servers: bench/servers.py), and
driven in turn, round after round, with the same requests: `me { id }` (what authenticating costs a request),
`{ __typename }` (the floor of any request), and the read bench's queries (bench/queries.py). Each query prints,
per build, the median over the rounds of requests/s and of the server's CPU ms per request, and the statements
per request (pg_stat_statements, bench/statements.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.__main__ import HOST, Server, _environment, _migrate, running
from bench.load import LoadResult, http_request, run_load, run_sequential
from bench.process import start_bench_process
from bench.queries import GUIDELINES_PAGE_SIZE, Query, Request, guidelines_page, subject_by_id, subjects_page
from bench.seed import SeededData, seed
from bench.servers import bench_servers
from bench.statements import StatementCounter
from core.devrun import api_command
from core.embedded import free_port
from core.security import create_access_token
from core.storage_local import LocalStorage

log = logging.getLogger("bench")

DATA_DIR = Path(".data/bench")  # the read bench's: its embedded servers are made once


def small_queries() -> list[Query]:
    me = Query("me { id }", [Request({"query": "{ me { id } }"}, "")])
    typename = Query("{ __typename }", [Request({"query": "{ __typename }"}, "")])
    return [typename, me]


@dataclass(frozen=True)
class Build:
    name: str
    directory: Path


@contextlib.contextmanager
def started(build: Build, env: dict[str, str], logs: Path) -> Iterator[Server]:
    """The API of `build`, run from its directory (its packages come first on the path of `python -m`)."""
    port = free_port()
    command = [sys.executable, "-c", _IN_DIRECTORY, str(build.directory), *api_command(HOST, port)[3:]]
    with running(f"api-{build.name}", command, env, logs, port) as server:
        yield server


# `python -m uvicorn ...` run inside another directory: chdir first, so that its packages are the ones imported.
_IN_DIRECTORY = "import os, runpy, sys; os.chdir(sys.argv[1]); sys.path.insert(0, sys.argv[1]); " + (
    "sys.argv = ['uvicorn', *sys.argv[2:]]; runpy.run_module('uvicorn', run_name='__main__')"
)


async def measure(
    query: Query, servers: dict[str, Server], token: str, counter: StatementCounter, args: argparse.Namespace
) -> None:
    results: dict[str, list[LoadResult]] = {name: [] for name in servers}
    headers = {"Authorization": f"Bearer {token}"}
    requests = {
        name: [http_request(s.endpoint, "POST", "/graphql", headers=headers, body=r.graphql) for r in query.requests]
        for name, s in servers.items()
    }
    for _ in range(args.rounds):
        for name, server in servers.items():
            result = await run_load(
                server.endpoint,
                requests[name],
                clients=args.clients,
                warmup=args.warmup,
                duration=args.duration,
                server_pid=server.process.pid,
            )
            if result.errors:
                raise RuntimeError(f"{query.name} on {name}: {result.errors} errors, first: {result.first_error}")
            results[name].append(result)
    for name, server in servers.items():
        count = await counter.count(20, functools.partial(run_sequential, server.endpoint, requests[name], 20))
        runs = results[name]
        print(
            f"{query.name:<32} {name:<8} req/s {statistics.median(r.per_second for r in runs):7.1f}"
            f"  CPU ms/req {statistics.median(r.cpu_ms_per_request for r in runs):6.2f}"
            f" ({', '.join(f'{r.cpu_ms_per_request:.2f}' for r in runs)})"
            f"  p50 {statistics.median(r.p50 for r in runs):6.1f} ms  SQL/req {count.describe()}",
            flush=True,
        )


async def drive(
    data: SeededData, secret_key: str, servers: dict[str, Server], dsn: str, database: str, args: argparse.Namespace
) -> None:
    token = create_access_token(data.superuser_id, secret=secret_key, expires_minutes=120)
    queries = [
        *small_queries(),
        subject_by_id(data.organization_id, data.subject_ids[:200]),
        subjects_page(data.organization_id),
        guidelines_page(data.organization_id, GUIDELINES_PAGE_SIZE),
    ]
    counter = await StatementCounter.open(dsn, database)
    try:
        for query in queries:
            if args.only in query.name:
                await measure(query, servers, token, counter, args)
    finally:
        await counter.close()


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (a git worktree of another commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    data_dir = DATA_DIR.absolute()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    storage_dir = data_dir / "storage"
    secret_key = secrets.token_urlsafe(32)
    builds = [Build("this", Path.cwd()), Build("other", args.other.absolute())]
    with bench_servers(data_dir) as servers:
        # /metrics is protected as a deployment protects it; this script does not scrape it.
        env = _environment(servers, storage_dir, secret_key, metrics_token=secrets.token_urlsafe(16))
        _migrate(env)
        data = asyncio.run(seed(servers.dsn, LocalStorage(storage_dir)))
        with contextlib.ExitStack() as stack:
            running_servers = {build.name: stack.enter_context(started(build, env, logs)) for build in builds}
            started_at = time.monotonic()
            asyncio.run(drive(data, secret_key, running_servers, servers.dsn, servers.database, args))
            log.info("measured in %.0fs", time.monotonic() - started_at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
