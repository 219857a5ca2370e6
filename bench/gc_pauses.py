"""`python -m bench.gc_pauses`: the garbage collector under load, for each collector set-up given (issue 15).

Seeds the read bench's data (bench/seed.py) on the same servers as `python -m bench`, then, for each set-up, starts
the API under bench/gc_probe.py (graph.app:app served as `make run` serves it, every collection recorded), warms it
up, and drives one query with N concurrent clients (bench/load.py). Printed per set-up: requests/s, the API's CPU ms
per request, p50, p99, the collections in the window by generation, the longest and the total pause, the objects the
collector found unreachable per request (what requests left in reference cycles, uvicorn's included), the peak of
the collector's count, and the collections that ran after one more request once the API had been idle longer than
core/collector.py's interval (what an idle collection costs: the set-ups with it run one there).

    .venv/bin/python -m bench.gc_pauses --only guidelines
    .venv/bin/python -m bench.gc_pauses --only "subject by id" --setups app default 200000,20,20/no-idle app/no-freeze

A set-up is THRESHOLD[/no-freeze][/no-idle]: THRESHOLD `app` (graph/app.py's), `default` (CPython's) or `A,B,C`
(`0,...`: automatic collection off); `no-freeze` without core/collector.py's `gc.freeze()`, `no-idle` without its
collections when no request is in flight.
`--census` also lists every collection with the objects it walked and their most common types (bench/gc_probe.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.__main__ import HOST, TOKEN_MINUTES, _environment, _migrate, _run, running
from bench.load import Endpoint, LoadResult, http_request, run_load, run_sequential
from bench.process import start_bench_process
from bench.queries import GUIDELINES_PAGE_SIZES, Query, guidelines_page, subject_by_id, subjects_page
from bench.seed import SeededData, seed
from bench.servers import bench_servers
from core.collector import IDLE_COLLECTION_INTERVAL_SECONDS
from core.embedded import free_port
from core.security import create_access_token
from core.settings import get_settings
from core.storage_local import LocalStorage

REPORT_TIMEOUT_SECONDS = 10.0
IDLE_SETTLE_SECONDS = 1.0  # after the request that ends an idle pause: its collection has run


@dataclass(frozen=True)
class Measured:
    setup: str
    load: LoadResult
    threshold: list[int]
    frozen: int
    collections: list[tuple[int, float, int, float]]  # generation, ms, unreachable objects found, CPU ms
    # Per collection with --census: objects walked, most common types, references held, the objects holding most.
    censuses: list[tuple[int, list[tuple[str, int]], int, list[tuple[str, int]]]]
    peak_count: int  # the highest count of allocations minus deallocations (what starts a collection)
    idle: list[tuple[int, float, int, float]]  # the collections after one request that followed an idle pause

    def describe_idle(self) -> str:
        return (
            ", ".join(f"gen{generation} {ms:.1f} (CPU {cpu_ms:.1f})" for generation, ms, _, cpu_ms in self.idle) or "-"
        )

    def by_generation(self) -> str:
        return "/".join(str(sum(1 for each in self.collections if each[0] == gen)) for gen in range(3))

    @property
    def longest_ms(self) -> float:
        return max((each[1] for each in self.collections), default=0.0)

    @property
    def total_ms(self) -> float:
        return sum(each[1] for each in self.collections)

    @property
    def cyclic_per_request(self) -> float:
        return sum(each[2] for each in self.collections) / self.load.requests if self.load.requests else 0.0


def chosen_queries(data: SeededData, only: str) -> list[Query]:
    found = [
        subjects_page(data.organization_id),
        *(guidelines_page(data.organization_id, size) for size in GUIDELINES_PAGE_SIZES),
        subject_by_id(data.organization_id, data.subject_ids[:200]),
    ]
    return [query for query in found if only in query.name]


async def measure(
    setup: str, query: Query, token: str, env: dict[str, str], logs: Path, options: argparse.Namespace
) -> Measured:
    threshold, *flags = setup.split("/")
    port = free_port()
    report_path = logs / f"gc-{port}.json"
    command = [sys.executable, "-m", "bench.gc_probe", HOST, str(port), str(report_path), threshold]
    command += flags
    if options.census:
        command.append("census")
    endpoint = Endpoint(HOST, port)
    headers = {"Authorization": f"Bearer {token}"}
    requests = [http_request(endpoint, "POST", "/graphql", headers=headers, body=r.graphql) for r in query.requests]
    with running(f"api-gc-{setup.replace('/', '-')}", command, env, logs, port) as api:
        await run_load(endpoint, requests, clients=options.clients, warmup=0, duration=options.warmup)
        os.kill(api.process.pid, signal.SIGUSR1)
        load = await run_load(
            endpoint, requests, clients=options.clients, warmup=0, duration=options.duration, server_pid=api.process.pid
        )
        report = await probe_report(api.process.pid, report_path, setup)
        # What an idle collection costs (core/collector.py): one request after a pause longer than the interval
        # between two of them, then what ran once it ended.
        await asyncio.sleep(IDLE_COLLECTION_INTERVAL_SECONDS + 1)
        await run_sequential(endpoint, requests, 1)
        await asyncio.sleep(IDLE_SETTLE_SECONDS)
        after_idle = await probe_report(api.process.pid, report_path, setup)
    window = len(report["records"])
    records = [tuple(each) for each in report["records"]]
    censuses = [parse_census(census) for census in report["censuses"]]
    idle = [tuple(each) for each in after_idle["records"][window:]]
    censuses += [parse_census(census) for census in after_idle["censuses"][window:]]
    return Measured(setup, load, report["threshold"], report["frozen"], records, censuses, report["peak_count"], idle)


def parse_census(census: list[Any]) -> tuple[int, list[tuple[str, int]], int, list[tuple[str, int]]]:
    walked, kinds, references, largest = census
    return walked, [(name, count) for name, count in kinds], references, [(name, held) for name, held in largest]


async def probe_report(pid: int, report_path: Path, setup: str) -> dict[str, Any]:
    """The probe's collections since the warm-up ended (SIGUSR2, bench/gc_probe.py)."""
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + REPORT_TIMEOUT_SECONDS
    while (report := _take_report(report_path)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{setup}: the probe wrote no report")
        await asyncio.sleep(0.1)
    return report


def _take_report(report_path: Path) -> dict[str, Any] | None:
    if not report_path.exists():
        return None
    time.sleep(0.1)  # written in one call; let it finish
    report: dict[str, Any] = orjson.loads(report_path.read_bytes())
    report_path.unlink()
    return report


def render(query: Query, rows: list[Measured], options: argparse.Namespace) -> str:
    lines = [
        f"{query.name}: {options.clients} clients, {options.warmup:g}s warm-up + {options.duration:g}s measured",
        "| set-up | threshold | frozen | req/s | CPU ms/req | p50 ms | p99 ms | p99/p50 | collections gen0/1/2 "
        "| longest pause ms "
        "| total pause ms | cyclic objects/request | peak count | after an idle pause, ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        load = row.load
        ratio = load.p99 / load.p50 if load.p50 else float("nan")
        lines.append(
            f"| {row.setup} | {','.join(map(str, row.threshold))} | {row.frozen} | {load.per_second:.1f} "
            f"| {load.cpu_ms_per_request:.1f} "
            f"| {load.p50:.1f} | {load.p99:.1f} | {ratio:.2f} | {row.by_generation()} | {row.longest_ms:.1f} "
            f"| {row.total_ms:.1f} | {row.cyclic_per_request:.2f} | {row.peak_count} | {row.describe_idle()} "
            f"| {load.errors} |"
        )
    for row in rows:
        lines += render_censuses(row)
    return "\n".join(lines)


def render_censuses(row: Measured) -> list[str]:
    """Each collection of a `--census` run: generation, pause, objects walked and the most common types."""
    lines = []
    collections = [*row.collections, *row.idle]
    for index, ((generation, milliseconds, found, cpu_ms), (walked, kinds, references, largest)) in enumerate(
        zip(collections, row.censuses, strict=False)
    ):
        common = ", ".join(f"{name} {count}" for name, count in kinds)
        holders = ", ".join(f"{name} {held}" for name, held in largest)
        when = "after an idle pause" if index >= len(row.collections) else "in the window"
        lines.append(
            f"{row.setup}, {when}: gen{generation} {milliseconds:.1f} ms (CPU {cpu_ms:.1f}), {found} freed, "
            f"{walked} walked: {common}; "
            f"{references} references, the most held by: {holders}"
        )
    return lines


async def drive(data: SeededData, secret_key: str, env: dict[str, str], logs: Path, options: argparse.Namespace) -> int:
    token = create_access_token(data.superuser_id, secret=secret_key, expires_minutes=TOKEN_MINUTES)
    failed = False
    for query in chosen_queries(data, options.only):
        rows = [await measure(setup, query, token, env, logs, options) for setup in options.setups]
        print(render(query, rows, options), flush=True)
        failed = failed or any(row.load.errors for row in rows)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    parser = argparse.ArgumentParser(prog="python -m bench.gc_pauses", description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per set-up")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per set-up")
    parser.add_argument("--only", default="guidelines", help="the queries whose name contains this text")
    parser.add_argument("--setups", nargs="+", default=["app", "default", "app/no-freeze"])
    parser.add_argument("--census", action="store_true", help="count and type the objects each collection walks")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/bench (.data/bench)")
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    data_dir: Path = (options.data_dir or get_settings().data_dir / "bench").absolute()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root, the embedded PostgreSQL runs as another user who must get through
    storage_dir = data_dir / "storage"
    secret_key = secrets.token_urlsafe(32)
    with bench_servers(data_dir) as servers:
        env = _environment(servers, storage_dir, secret_key, secrets.token_urlsafe(16))
        _migrate(env)
        data = asyncio.run(seed(servers.dsn, LocalStorage(storage_dir)))
        result: int = _run(drive(data, secret_key, env, logs, options))
        return result


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
