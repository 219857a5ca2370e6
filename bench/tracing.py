"""What tracing costs a request: the app's CPU per request with tracing off and on (core/tracing.py).

    .venv/bin/python -m bench.tracing [--requests 1000] [--rounds 5] [--mode off|on|both]

Servers as the other benches choose them (bench/servers.py: DATABASE_URL / REDIS_URL, else embedded), with a
database of its own, migrated to head. The app is built by `create_app` in this process and called through
httpx's ASGI transport, one request after another: `query Ping { __typename }` (no SQL, one Redis call for the
cost budget) and `query Me { me { id email organizations { id name } } }` as a member of 3 organizations (the
caller's lookup, a loader's direct SELECT and the organizations by id). The figure is this process's CPU time per
request (client and app; the client's share is the same in every mode), so the difference between modes is
what tracing adds. Each request logs its line at INFO, as deployed, formatted but written to /dev/null.

`on` exports every span (the default sampler) with the real OTLP/HTTP exporter and batch processor to a receiver
in another process on 127.0.0.1 that discards what it gets; the batch processor's encoding and sending run in
this process's thread, and are counted. `off` starts nothing: run with `--mode off` in a checkout of the commit
before tracing (copy this file there) for the "before" figure; it uses only names that exist there.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.auth import _seed as seed_member
from bench.servers import bench_servers, migrated_settings
from core.embedded import free_port
from core.settings import Settings
from graph.app import create_app
from services.resources import Resources
from tests.server_process import listening, stopped_at_exit, wait_until_ready

DATA_DIR = Path(".data/bench")
QUERIES = {
    "Ping": "query Ping { __typename }",
    "Me": "query Me { me { id email organizations { id name } } }",
}

# A receiver that answers every POST with 200 and forgets it: the collector's side of the exchange, kept out of
# this process's CPU time.
SINK = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
HTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""


@contextmanager
def otlp_sink() -> Iterator[str]:
    port = free_port()
    # Its access lines (stderr) are dropped: the bench prints its table, not the sink's log.
    sink = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", SINK, str(port)], stderr=subprocess.DEVNULL
    )
    with stopped_at_exit(sink):
        wait_until_ready(sink, functools.partial(listening, "127.0.0.1", port), "the OTLP sink", 10)
        yield f"http://127.0.0.1:{port}"


async def _member_token(settings: Settings) -> str:
    """A member of 3 organizations, made once per run (bench/auth.py's caller, without revoked tokens)."""
    resources = Resources.open(settings)
    try:
        return await seed_member(resources, 0)
    finally:
        await resources.close()


async def _measure(settings: Settings, token: str, requests: int, rounds: int) -> dict[str, list[float]]:
    """Per query, per round: this process's CPU microseconds per request."""
    app = create_app(settings)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        figures: dict[str, list[float]] = {name: [] for name in QUERIES}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def send(query: str) -> None:
                response = await client.post("/graphql", json={"query": query}, headers=headers)
                assert response.status_code == 200 and "errors" not in response.json(), response.text

            for name, query in QUERIES.items():
                for _ in range(requests // 4):  # warm-up: pool connections, prepared statements, caches
                    await send(query)
                for _ in range(rounds):
                    started = time.process_time()
                    for _ in range(requests):
                        await send(query)
                    figures[name].append((time.process_time() - started) / requests * 1e6)
        return figures
    finally:
        await app.state.resources.close()


def _run(mode: str, settings: Settings, token: str, requests: int, rounds: int) -> dict[str, list[float]]:
    if mode == "off":
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            os.environ.pop(name, None)
        return asyncio.run(_measure(settings, token, requests, rounds))
    from core.tracing import stop_tracing  # only in "on": the file also runs where there is no tracing

    with otlp_sink() as endpoint:
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
        os.environ.setdefault("OTEL_SERVICE_NAME", "studio-graphql-bench")
        try:
            return asyncio.run(_measure(settings, token, requests, rounds))
        finally:
            stop_tracing()  # sends what the batch processor still holds while the sink listens
            del os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per query (default 5)")
    parser.add_argument("--mode", choices=("off", "on", "both"), default="both")
    arguments = parser.parse_args(argv)
    modes = ("off", "on") if arguments.mode == "both" else (arguments.mode,)
    # Every request logs its line at INFO, as in a deployment, made and formatted but written nowhere (the app's
    # configure_logging leaves a configured root logger alone); the SDK's own warnings still reach stderr.
    logging.basicConfig(stream=open(os.devnull, "w"), level=logging.INFO)  # noqa: SIM115 - for the whole run
    logging.getLogger("opentelemetry").addHandler(logging.StreamHandler(sys.stderr))
    with bench_servers(DATA_DIR) as servers:
        settings = migrated_settings(servers, "bench-tracing")
        token = asyncio.run(_member_token(settings))
        results = {mode: _run(mode, settings, token, arguments.requests, arguments.rounds) for mode in modes}
    print(f"CPU of this process per request (us), {arguments.rounds} rounds of {arguments.requests} requests:")
    for mode, figures in results.items():
        for name, cpus in figures.items():
            print(f"  tracing {mode:3}  {name:5} median {statistics.median(cpus):6.0f}  best {min(cpus):6.0f}")


if __name__ == "__main__":
    main()
