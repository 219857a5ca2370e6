"""`make bench`: the read-path benchmark (see bench/README.md).

Seeds a dataset into a database of its own, starts the API exactly as `make run` does (one uvicorn process) and
the baseline beside it, checks both answer the same JSON, then drives each canonical query at both with N
concurrent clients and prints requests/s, p50, p99, the API/baseline ratio and SQL statements per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import profile
from bench.load import Endpoint, fetch_once, http_request, run_load, run_sequential
from bench.process import start_bench_process
from bench.queries import Query, guidelines_page, subject_by_id, subjects_page
from bench.report import Row, render_markdown, render_statements, render_targets, render_text
from bench.seed import SeededData, seed
from bench.servers import BenchServers, bench_servers
from bench.statements import StatementCount, StatementCounter
from core.devrun import MIGRATE, UVICORN_OPTIONS, api_command
from core.embedded import die_with_parent, free_port
from core.security import create_access_token
from core.settings import get_settings
from core.storage_local import LocalStorage

log = logging.getLogger("bench")

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
TOKEN_MINUTES = 120


@dataclass(frozen=True)
class Options:
    clients: int
    warmup: float
    duration: float
    count_requests: int
    member: bool
    profile: bool
    show_statements: bool
    only: str
    serve: bool
    markdown: Path | None
    data_dir: Path


@dataclass(frozen=True)
class Server:
    name: str
    endpoint: Endpoint
    process: subprocess.Popen[bytes]


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per query and side")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per query and side")
    parser.add_argument("--count-requests", type=int, default=20, help="requests in each statement-counting pass")
    parser.add_argument("--no-member", dest="member", action="store_false", help="skip the regular-user runs")
    parser.add_argument(
        "--profile", action="store_true", help="also record the API under py-spy during the guidelines run"
    )
    parser.add_argument("--statements", dest="show_statements", action="store_true", help="list each query's SQL")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="seed, start both servers, print their addresses and a token, and wait (for profiling by hand)",
    )
    parser.add_argument("--only", default="", help="only the queries whose name contains this text")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/bench (.data/bench)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or get_settings().data_dir / "bench"
    return Options(
        clients=args.clients,
        warmup=args.warmup,
        duration=args.duration,
        count_requests=args.count_requests,
        member=args.member,
        profile=args.profile,
        show_statements=args.show_statements,
        only=args.only,
        serve=args.serve,
        markdown=args.markdown,
        data_dir=data_dir.absolute(),
    )


# --- processes ---------------------------------------------------------------------------------------------------


def _environment(servers: BenchServers, storage_dir: Path, secret_key: str) -> dict[str, str]:
    """The environment `make run` gives its children, pointed at the bench's servers."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=servers.database_url,
        REDIS_URL=servers.redis_url,
        REDIS_PREFIX=f"studio-bench-{servers.database}",
        STORAGE_DIR=str(storage_dir),
        SECRET_KEY=secret_key,
        # Every client of a run is one user, and 16 of them asking back to back for guidelines pages (priced at
        # 1.34 million each, docs/api.md "Limits and cost") are far past one caller's budget: the bench measures
        # throughput, so the budget is off; QUERY_MAX_COST still applies to every request.
        COST_BUDGET_PER_MINUTE="0",
    )
    return env


def _spawn(command: Sequence[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log_file:
        return subprocess.Popen(  # noqa: S603 - our interpreter and fixed module names
            list(command),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )


def _wait_ready(server: Server, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    url = f"http://{server.endpoint.host}:{server.endpoint.port}/readyz"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited (code {server.process.returncode}); see {log_path}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {READY_TIMEOUT_SECONDS}s; see {log_path}")


@contextlib.contextmanager
def running(name: str, command: Sequence[str], env: dict[str, str], logs: Path, port: int) -> Iterator[Server]:
    log_path = logs / f"{name}.log"
    process = _spawn(command, env, log_path)
    server = Server(name, Endpoint(HOST, port), process)
    try:
        _wait_ready(server, log_path)
        log.info("%s ready on port %s (pid %s, log %s)", name, port, process.pid, log_path)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _migrate(env: dict[str, str]) -> None:
    # The same command `make run` runs first.
    subprocess.run(MIGRATE, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)  # noqa: S603


# --- checks and measurements -------------------------------------------------------------------------------------


def first_difference(api: Any, baseline: Any, path: str = "") -> str | None:
    """Where two JSON values first differ (values, types, key sets or key order), or None when equal."""
    if isinstance(api, dict) and isinstance(baseline, dict):
        if list(api) != list(baseline):
            return f"{path or '/'}: keys {list(api)} != {list(baseline)}"
        for key in api:
            found = first_difference(api[key], baseline[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(api, list) and isinstance(baseline, list):
        if len(api) != len(baseline):
            return f"{path}: {len(api)} items != {len(baseline)}"
        for index, (left, right) in enumerate(zip(api, baseline, strict=True)):
            found = first_difference(left, right, f"{path}/{index}")
            if found:
                return found
        return None
    if type(api) is not type(baseline) or api != baseline:
        return f"{path}: {api!r} != {baseline!r}"
    return None


@dataclass(frozen=True)
class Prepared:
    """One query's request bytes for each server, for one caller."""

    query: Query
    caller: str
    api: list[bytes]
    baseline: list[bytes]


def prepare(query: Query, caller: str, token: str, api: Endpoint, baseline: Endpoint) -> Prepared:
    headers = {"Authorization": f"Bearer {token}"}
    return Prepared(
        query,
        caller,
        [http_request(api, "POST", "/graphql", headers=headers, body=request.graphql) for request in query.requests],
        [http_request(baseline, "GET", request.baseline_path, headers=headers) for request in query.requests],
    )


async def check_same_answers(prepared: Prepared, api: Endpoint, baseline: Endpoint) -> None:
    """The API and the baseline answer the same JSON for the first request of the query (and both succeed)."""
    api_status, api_body = await fetch_once(api, prepared.api[0])
    base_status, base_body = await fetch_once(baseline, prepared.baseline[0])
    api_json, base_json = orjson.loads(api_body), orjson.loads(base_body)
    if api_status != 200 or "errors" in api_json:
        raise RuntimeError(f"{prepared.query.name}: the API answered {api_status} {api_body[:500]!r}")
    if base_status != 200 or "errors" in base_json:
        raise RuntimeError(f"{prepared.query.name}: the baseline answered {base_status} {base_body[:500]!r}")
    # `extensions` is the API's own (the operation's cost, docs/api.md "Limits and cost"): the data must be the same.
    api_json.pop("extensions", None)
    difference = first_difference(api_json, base_json)
    if difference:
        raise RuntimeError(f"{prepared.query.name}: the API and the baseline answer differently at {difference}")
    log.info("%s (%s): same answer from both (%d bytes)", prepared.query.name, prepared.caller, len(api_body))


async def measure(
    prepared: Prepared,
    api: Server,
    baseline: Server,
    counter: StatementCounter,
    options: Options,
    *,
    profile_to: Path | None,
) -> Row:
    results = []
    counts: list[StatementCount] = []
    for server, requests in ((api, prepared.api), (baseline, prepared.baseline)):
        recorder = None
        if profile_to is not None and server is api:
            recorder = profile.start(server.process.pid, profile_to, seconds=options.warmup + options.duration)
        result = await run_load(
            server.endpoint,
            requests,
            clients=options.clients,
            warmup=options.warmup,
            duration=options.duration,
            server_pid=server.process.pid,
        )
        if recorder is not None:
            print(profile.finish(recorder), flush=True)
        log.info(
            "%s (%s) %s: %.1f req/s, p50 %.1f ms, p99 %.1f ms, CPU %.1f ms/request, %d errors",
            prepared.query.name,
            prepared.caller,
            server.name,
            result.per_second,
            result.p50,
            result.p99,
            result.cpu_ms_per_request,
            result.errors,
        )
        results.append(result)
        counts.append(
            await counter.count(
                options.count_requests,
                functools.partial(run_sequential, server.endpoint, requests, options.count_requests),
            )
        )
    if options.show_statements:
        for side, count in zip(("API", "baseline"), counts, strict=True):
            print(render_statements(f"{prepared.query.name} ({prepared.caller})", side, count), flush=True)
    return Row(prepared.query.name, prepared.caller, results[0], results[1], counts[0], counts[1])


async def query_fields(api: Endpoint, token: str) -> set[str]:
    """The API's root query fields, from its own introspection."""
    request = http_request(
        api,
        "POST",
        "/graphql",
        headers={"Authorization": f"Bearer {token}"},
        body={"query": "{ __schema { queryType { fields { name } } } }"},
    )
    _, body = await fetch_once(api, request)
    return {field["name"] for field in orjson.loads(body)["data"]["__schema"]["queryType"]["fields"]}


async def queries(data: SeededData, api: Endpoint, token: str, only: str) -> list[Query]:
    found = [subjects_page(data.organization_id)]
    if "guidelines" in await query_fields(api, token):
        found.append(guidelines_page(data.organization_id))
    else:
        log.warning("the API has no `guidelines` query yet: the guidelines page is left out")
    found.append(subject_by_id(data.organization_id, data.subject_ids[:200]))
    return [query for query in found if only in query.name]


async def drive(
    data: SeededData, secret_key: str, api: Server, baseline: Server, servers: BenchServers, options: Options
) -> list[Row]:
    tokens = {"superuser": create_access_token(data.superuser_id, secret=secret_key, expires_minutes=TOKEN_MINUTES)}
    if options.member:
        tokens["member"] = create_access_token(data.member_id, secret=secret_key, expires_minutes=TOKEN_MINUTES)
    canonical = await queries(data, api.endpoint, tokens["superuser"], options.only)
    plan = [
        prepare(query, caller, token, api.endpoint, baseline.endpoint)
        for caller, token in tokens.items()
        for query in canonical
    ]
    for prepared in plan:
        await check_same_answers(prepared, api.endpoint, baseline.endpoint)
    counter = await StatementCounter.open(servers.dsn, servers.database)
    log.info("statements per request: counted with %s", counter.method)
    rows = []
    try:
        for prepared in plan:
            profile_to = None
            if options.profile and prepared.caller == "superuser" and prepared.query.name.startswith("guidelines"):
                profile_to = options.data_dir / "profile-guidelines"
            rows.append(await measure(prepared, api, baseline, counter, options, profile_to=profile_to))
    finally:
        await counter.close()
    return rows


def serve(
    data: SeededData, secret_key: str, api: Server, baseline: Server, env: dict[str, str], env_file: Path
) -> None:
    token = create_access_token(data.superuser_id, secret=secret_key, expires_minutes=TOKEN_MINUTES)
    # For starting more processes against the same servers (another API build to compare, a profiler run).
    names = ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "STORAGE_DIR", "SECRET_KEY")
    env_file.touch(mode=0o600)
    env_file.write_text("".join(f"{name}={env[name]}\n" for name in names))
    print(f"API       http://{api.endpoint.host}:{api.endpoint.port}/graphql (pid {api.process.pid})")
    print(f"baseline  http://{baseline.endpoint.host}:{baseline.endpoint.port}/ (pid {baseline.process.pid})")
    print(f"organizationId {data.organization_id}; a subject {data.subject_ids[0]}")
    print(f"Authorization: Bearer {token}  (superuser, {TOKEN_MINUTES} minutes; a bench-only signing key)")
    print(f"environment for more processes: {env_file}")
    print("Ctrl-C stops everything and drops the bench database.", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while api.process.poll() is None and baseline.process.poll() is None:
                time.sleep(0.5)
    finally:
        env_file.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    options = parse_options(sys.argv[1:] if argv is None else argv)
    logs = options.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    options.data_dir.chmod(0o755)  # as root, the embedded PostgreSQL runs as another user who must get through
    storage_dir = options.data_dir / "storage"
    secret_key = secrets.token_urlsafe(32)
    started = time.monotonic()
    with bench_servers(options.data_dir) as servers:
        log.info(
            "PostgreSQL: %s, database %s; Redis: %s", servers.postgres_source, servers.database, servers.redis_source
        )
        env = _environment(servers, storage_dir, secret_key)
        _migrate(env)
        data = asyncio.run(seed(servers.dsn, LocalStorage(storage_dir)))
        log.info("seeded in %.1fs: %s", time.monotonic() - started, ", ".join(f"{n} {t}" for t, n in data.rows.items()))
        api_port, baseline_port = free_port(), free_port()
        baseline_command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline:app",
            *UVICORN_OPTIONS,
            "--host",
            HOST,
            "--port",
        ]
        with (
            running("api", api_command(HOST, api_port), env, logs, api_port) as api,
            running("baseline", [*baseline_command, str(baseline_port)], env, logs, baseline_port) as baseline,
        ):
            if options.serve:
                serve(data, secret_key, api, baseline, env, options.data_dir / "serve.env")
                return 0
            rows = _run(drive(data, secret_key, api, baseline, servers, options))
    print()
    print(render_text(rows))
    targets = render_targets(rows)
    if targets:
        print()
        print(targets)
    print(
        f"\n{options.clients} clients, {options.warmup:g}s warm-up + {options.duration:g}s measured per query and "
        f"side; statements: {options.count_requests} sequential requests each; run {time.monotonic() - started:.0f}s"
    )
    if options.markdown is not None:
        options.markdown.write_text(render_markdown(rows) + ("\n\n" + targets if targets else "") + "\n")
    return 1 if any(row.api.errors or (row.baseline and row.baseline.errors) for row in rows) else 0


def _run(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    # The driver shares the machine with what it measures: the faster loop leaves more CPU to the servers.
    return uvloop.run(coro)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
