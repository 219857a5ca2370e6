"""`make bench-attacks`: denial-of-service attacks on the API, each measured by what it does to everyone else.

Starts the API as `make run` does against a database of its own (bench/jobs_stack.py) with bench/seed.py's
dataset, then runs each attack while a separate client (a thread with its own connection) asks `/healthz` every
~20 ms. For each attack: what the attack's requests got (HTTP status, extensions.code, time), /healthz latency
p50/p99/max over the attack, and the API's resident memory before, at its peak and after. Prints a Markdown table.
Sizes are flags (`--help`); everything started is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from PIL import Image

from bench.jobs_stack import CSRF, PeakSampler, Stack, megabytes, memory, running_stack
from bench.process import start_bench_process
from bench.seed import seed
from core.settings import get_settings
from core.storage_local import LocalStorage

log = logging.getLogger("bench")

SUPERUSER_EMAIL = "attacks-admin@example.com"  # not bench/seed.py's superuser: emails are unique
HEALTHZ_INTERVAL_SECONDS = 0.02
HEALTHZ_TIMEOUT_SECONDS = 30.0

INTROSPECTION = (
    "__schema { types { name fields { name args { name type { name } } type { name kind ofType { name } } } } }"
)
GUIDELINES = "guidelines(limit: 1000) { data { subjects { baseImages { imageUrl shotType { name } } } } }"


@dataclass(frozen=True)
class Options:
    aliases: int
    parallel: int
    variations: int
    huge_mb: list[int]
    image_side: int
    uploads: int
    slow_connections: int
    slow_seconds: float
    logins: int
    timeout: float
    only: str
    data_dir: Path


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.attacks", description=__doc__)
    parser.add_argument("--aliases", type=int, default=30, help="aliases per attack document (default 30)")
    parser.add_argument("--parallel", type=int, default=3, help="introspection requests at once (default 3)")
    parser.add_argument(
        "--variations", type=int, default=3, help="rounds of whitespace variations of the introspection (default 3)"
    )
    parser.add_argument(
        "--huge-mb", type=int, nargs="+", default=[20, 50], help="sizes of the __type name string in MB (20 50)"
    )
    parser.add_argument("--image-side", type=int, default=7700, help="side of the uploaded PNG (default 7700)")
    parser.add_argument("--uploads", type=int, default=4, help="uploads at once (default 4)")
    parser.add_argument("--slow-connections", type=int, default=100, help="slow connections of each kind (100)")
    parser.add_argument(
        "--slow-seconds", type=float, default=20.0, help="how long slow clients trickle before giving up (20)"
    )
    parser.add_argument("--logins", type=int, default=20, help="wrong logins, each from a new X-Forwarded-For (20)")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per attack request, s (60)")
    parser.add_argument("--only", default="", help="only the attacks whose name contains this text")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/bench (.data/bench)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or get_settings().data_dir / "bench"
    return Options(
        aliases=args.aliases,
        parallel=args.parallel,
        variations=args.variations,
        huge_mb=args.huge_mb,
        image_side=args.image_side,
        uploads=args.uploads,
        slow_connections=args.slow_connections,
        slow_seconds=args.slow_seconds,
        logins=args.logins,
        timeout=args.timeout,
        only=args.only,
        data_dir=data_dir.absolute(),
    )


# --- measuring -------------------------------------------------------------------------------------------------------


class HealthzSampler:
    """GET /healthz every ~20 ms from a thread of its own, on its own keep-alive connection, so the attack's
    client (and its event loop) never delays a sample. A sample that times out counts as its timeout."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/healthz"
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz", daemon=True)

    def __enter__(self) -> HealthzSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=HEALTHZ_TIMEOUT_SECONDS) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                self.latencies.append(elapsed * 1000)
                if not ok:
                    self.failures += 1
                self._stop.wait(max(0.0, HEALTHZ_INTERVAL_SECONDS - elapsed))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank, as the other benches report."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


@dataclass(frozen=True)
class Answer:
    status: str  # the HTTP status, or what happened instead ("timeout", "reset", ...)
    code: str  # the first error's extensions.code, "" when none
    seconds: float
    size: int = 0  # bytes of the answer's body


def describe(answers: Sequence[Answer]) -> str:
    """`3x 200 QUERY_TOO_COMPLEX in 0.41-0.52 s`, one group per (status, code)."""
    groups: dict[tuple[str, str], list[float]] = {}
    for answer in answers:
        groups.setdefault((answer.status, answer.code), []).append(answer.seconds)
    parts = []
    for (status, code), seconds in groups.items():
        label = " ".join(part for part in (status, code) if part)
        span = f"{min(seconds):.2f} s" if len(seconds) == 1 else f"{min(seconds):.2f}-{max(seconds):.2f} s"
        parts.append(f"{len(seconds)}x {label} in {span}")
    largest = max((answer.size for answer in answers), default=0)
    if largest >= 1024 * 1024:
        parts.append(f"answers up to {largest / 2**20:.1f} MB")
    return "; ".join(parts)


@dataclass
class Row:
    name: str
    answer: str
    healthz_p50: float
    healthz_p99: float
    healthz_max: float
    healthz_failures: int
    samples: int
    rss_before: int
    rss_peak: int
    rss_after: int
    seconds: float
    notes: list[str] = field(default_factory=list)


Attack = Callable[[Stack, Options, list[str]], Coroutine[Any, Any, str]]


def measure(stack: Stack, options: Options, name: str, attack: Attack) -> Row:
    notes: list[str] = []
    before = memory(stack.api.pid).rss
    started = time.monotonic()
    with PeakSampler([stack.api.pid], interval=0.02) as peak, HealthzSampler(stack.api_url) as healthz:
        time.sleep(0.2)  # a few samples before the attack starts
        answer = asyncio.run(attack(stack, options, notes))
    seconds = time.monotonic() - started
    time.sleep(0.5)  # let the server finish what the attack left behind before reading its memory
    after = memory(stack.api.pid).rss if stack.api.alive else 0
    latencies = healthz.latencies or [float("nan")]
    row = Row(
        name,
        answer if stack.api.alive else f"{answer}; THE API DIED (code {stack.api.process.returncode})",
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        max(latencies),
        healthz.failures,
        len(healthz.latencies),
        before,
        peak.peak[stack.api.pid],
        after,
        seconds,
        notes,
    )
    log.info(
        "%s: %s; healthz p50 %.1f p99 %.1f max %.1f ms (%d samples, %d failed); RSS %s -> peak %s -> %s; %.1fs",
        name,
        row.answer,
        row.healthz_p50,
        row.healthz_p99,
        row.healthz_max,
        row.samples,
        row.healthz_failures,
        megabytes(before),
        megabytes(row.rss_peak),
        megabytes(after),
        seconds,
    )
    return row


# --- the attacks -----------------------------------------------------------------------------------------------------


async def post(
    client: httpx.AsyncClient, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> Answer:
    started = time.perf_counter()
    try:
        if isinstance(body, bytes):
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json", **(headers or {})}
            )
        else:
            response = await client.post("/graphql", json=body, headers=headers)
    except httpx.TimeoutException:
        return Answer("timeout", "", time.perf_counter() - started)
    except httpx.HTTPError as error:
        return Answer(type(error).__name__, "", time.perf_counter() - started)
    content = response.content
    return Answer(str(response.status_code), first_code(content), time.perf_counter() - started, len(content))


def first_code(content: bytes) -> str:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return "(not JSON)"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return ""
    return str((errors[0].get("extensions") or {}).get("code", "(no code)"))


def aliased(field_text: str, count: int, *, spacing: int = 1) -> str:
    """`{ a0: <field> a1: <field> ... }`; `spacing` spaces between aliases make another document each time."""
    gap = " " * spacing
    return "{" + gap.join(f" a{index}: {field_text}" for index in range(count)) + " }"


async def introspection(stack: Stack, options: Options, notes: list[str]) -> str:
    query = aliased(INTROSPECTION, options.aliases)
    notes.append(f"document {len(query)} bytes, {options.parallel} at once, no token")
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=options.timeout) as client:
        answers = await asyncio.gather(*(post(client, {"query": query}) for _ in range(options.parallel)))
    return describe(answers)


async def introspection_variations(stack: Stack, options: Options, notes: list[str]) -> str:
    """The same work each time, in documents that differ only in whitespace, so no cache keyed by the text
    (parsed documents, validation) ever hits."""
    answers: list[Answer] = []
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=options.timeout) as client:
        for round_ in range(options.variations):
            batch = [
                {"query": aliased(INTROSPECTION, options.aliases, spacing=2 + round_ * options.parallel + index)}
                for index in range(options.parallel)
            ]
            answers.extend(await asyncio.gather(*(post(client, body) for body in batch)))
    notes.append(f"{options.variations} rounds of {options.parallel} at once, each document distinct")
    return describe(answers)


def huge_type_name(megabytes_: int) -> Attack:
    async def attack(stack: Stack, options: Options, notes: list[str]) -> str:
        name = b"a" * (megabytes_ * 1024 * 1024)
        body = b'{"query": "{ __type(name: \\"' + name + b'\\") { name } }"}'
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=options.timeout) as client:
            answer = await post(client, body)
        return describe([answer])

    return attack


async def nested_guidelines(stack: Stack, options: Options, notes: list[str]) -> str:
    query = aliased(GUIDELINES, options.aliases)
    async with stack.client() as client:
        client.timeout = httpx.Timeout(options.timeout)
        answer = await post(client, {"query": query})
    return describe([answer])


def big_png(side: int) -> bytes:
    # One colour compresses to a few hundred KB (deflate's ratio tops out near 1000:1) but decodes to side² x 3 bytes.
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 120, 40)).save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


async def big_uploads(stack: Stack, options: Options, notes: list[str]) -> str:
    content = await asyncio.to_thread(big_png, options.image_side)
    notes.append(
        f"{options.image_side}x{options.image_side} PNG, {len(content) / 1024:.0f} KB, {options.uploads} at once"
    )
    operations = orjson.dumps(
        {"query": "mutation($file: Upload!) { uploadMedia(file: $file) { id width } }", "variables": {"file": None}}
    ).decode()

    async def one(client: httpx.AsyncClient, index: int) -> Answer:
        started = time.perf_counter()
        try:
            response = await client.post(
                "/graphql",
                data={"operations": operations, "map": '{"0": ["variables.file"]}'},
                files={"0": (f"big-{index}.png", content, "image/png")},
                headers=CSRF,
            )
        except httpx.TimeoutException:
            return Answer("timeout", "", time.perf_counter() - started)
        return Answer(str(response.status_code), first_code(response.content), time.perf_counter() - started)

    async with stack.client() as client:
        client.timeout = httpx.Timeout(options.timeout)
        # Distinct contents would need distinct pixels; the same file 4 times is still 4 decodes (the hash is
        # known only once the file is stored, and each request stages and inspects its own copy).
        answers = await asyncio.gather(*(one(client, index) for index in range(options.uploads)))
    return describe(answers)


def _host_port(stack: Stack) -> tuple[str, int]:
    url = httpx.URL(stack.api_url)
    return url.host, url.port or 80


async def _still_waiting(reader: asyncio.StreamReader) -> bool:
    """True when the server sent nothing within a second (it still waits for us)."""
    try:
        await asyncio.wait_for(reader.read(4096), timeout=1.0)
    except TimeoutError:
        return True
    return False


async def _hold(host: str, port: int, first: bytes, trickle: bytes, options: Options) -> float | None:
    """Send `first`, then one byte of `trickle` a second; the seconds until the server closed the connection,
    or None if it was still open when the client gave up (after --slow-seconds)."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return 0.0
    try:
        writer.write(first)
        await writer.drain()
        for index in range(int(options.slow_seconds)):
            # A read that ends (b"" or an answer) means the server gave up on us; a timeout means it still waits,
            # so the next byte goes out.
            if not await _still_waiting(reader):
                return time.monotonic() - started
            writer.write(trickle[index % len(trickle) : index % len(trickle) + 1])
            await writer.drain()
        return None
    except (ConnectionError, OSError):
        return time.monotonic() - started
    finally:
        writer.close()


def _held(results: Sequence[float | None], options: Options) -> str:
    closed = [seconds for seconds in results if seconds is not None]
    still = len(results) - len(closed)
    parts = []
    if closed:
        parts.append(f"{len(closed)} closed by the server after {statistics.median(closed):.1f} s (median)")
    if still:
        parts.append(f"{still} still held after {options.slow_seconds:g} s")
    return "; ".join(parts)


async def slow_headers(stack: Stack, options: Options, notes: list[str]) -> str:
    host, port = _host_port(stack)
    first = f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode()
    results = await asyncio.gather(
        *(_hold(host, port, first, b"abcdefgh", options) for _ in range(options.slow_connections))
    )
    notes.append(f"{options.slow_connections} connections, one header byte a second")
    return _held(results, options)


async def slow_bodies(stack: Stack, options: Options, notes: list[str]) -> str:
    host, port = _host_port(stack)
    first = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        '{"query": "'
    ).encode()
    results = await asyncio.gather(
        *(_hold(host, port, first, b"          ", options) for _ in range(options.slow_connections))
    )
    notes.append(f"{options.slow_connections} connections, Content-Length 100000, one body byte a second")
    return _held(results, options)


async def wrong_logins(stack: Stack, options: Options, notes: list[str]) -> str:
    mutation = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
    codes: Counter[str] = Counter()
    answers: list[Answer] = []
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=options.timeout) as client:
        for index in range(options.logins):
            forwarded = {"X-Forwarded-For": f"203.0.113.{index % 250 + 1}"}
            answer = await post(
                client, {"query": mutation, "variables": {"e": SUPERUSER_EMAIL, "p": "wrong"}}, forwarded
            )
            answers.append(answer)
            codes[answer.code] += 1
    notes.append(f"{options.logins} wrong passwords for one account, each with a new X-Forwarded-For")
    return f"{codes['RATE_LIMITED']} of {options.logins} RATE_LIMITED ({describe(answers)})"


async def idle(stack: Stack, options: Options, notes: list[str]) -> str:
    await asyncio.sleep(2.0)
    return "(no attack: 2 s of /healthz alone)"


def attacks(options: Options) -> list[tuple[str, Attack]]:
    found: list[tuple[str, Attack]] = [
        ("idle (reference)", idle),
        (f"introspection x{options.aliases} aliases, {options.parallel} parallel, no token", introspection),
        ("the same, whitespace variations", introspection_variations),
    ]
    found += [(f"__type(name: <{size} MB string>), no token", huge_type_name(size)) for size in options.huge_mb]
    found += [
        (f"guidelines(limit: 1000) nested x{options.aliases} aliases, token", nested_guidelines),
        (f"{options.uploads} parallel uploadMedia {options.image_side}x{options.image_side} PNG", big_uploads),
        (f"{options.slow_connections} slow-header connections", slow_headers),
        (f"{options.slow_connections} slow-body connections", slow_bodies),
        (f"{options.logins} wrong logins, new X-Forwarded-For each", wrong_logins),
    ]
    return [(name, attack) for name, attack in found if options.only in name or name.startswith("idle")]


def render(rows: Sequence[Row]) -> str:
    lines = [
        "| attack | attack's answer | healthz p50 ms | p99 ms | max ms | API RSS delta (peak) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        answer = row.answer + (f" ({'; '.join(row.notes)})" if row.notes else "")
        if row.healthz_failures:
            answer += f"; {row.healthz_failures} of {row.samples} /healthz failed"
        delta = (
            f"{(row.rss_after - row.rss_before) / 2**20:+.1f} MB (peak +{(row.rss_peak - row.rss_before) / 2**20:.1f})"
        )
        healthz = f"{row.healthz_p50:.1f} | {row.healthz_p99:.1f} | {row.healthz_max:.1f}"
        lines.append(f"| {row.name} | {answer} | {healthz} | {delta} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    options = parse_options(sys.argv[1:] if argv is None else argv)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rows: list[Row] = []
    with running_stack(options.data_dir, with_worker=False, superuser_email=SUPERUSER_EMAIL) as stack:
        data = asyncio.run(seed(stack.dsn, LocalStorage(stack.work_dir / "storage")))
        log.info("seeded %d guidelines, %d subjects", data.rows["shooting_guidelines"], data.rows["subjects"])
        for name, attack in attacks(options):
            if not stack.api.alive:
                log.error("the API is down: %s not run", name)
                continue
            rows.append(measure(stack, options, name, attack))
    print()
    print(render(rows))
    print(f"\nrun {time.monotonic() - started:.0f}s; API log {stack.api.log_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
