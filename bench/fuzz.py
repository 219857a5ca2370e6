"""`make fuzz`: schemathesis against `/graphql`, asking one property of every answer (see bench/README.md).

Starts the API as `make run` does against a database of its own (bench/jobs_stack.py: migrated, the first
superuser made by the bootstrap command, logged in through the token endpoint), seeds a small dataset (bench/seed.py)
so lists answer rows, then runs `st run` from `.venv-fuzz` (schemathesis pinned there, out of the project's .venv)
with the hooks of bench/fuzz_hooks.py: once with the superuser's token and, unless `--no-member`, once with a
regular member's. Prints the examples generated, the failures by check and the internal errors; exits 1 on any.
Everything started is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from bench.jobs_stack import Stack, running_stack
from bench.process import start_bench_process
from bench.seed import SeedSizes, seed
from core.security import create_access_token
from core.settings import get_settings
from core.storage_local import LocalStorage

log = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parent.parent
HOOKS = Path(__file__).resolve().parent / "fuzz_hooks.py"
CHECK = "no_internal_errors"
TOKEN_MINUTES = 120
# Not bench/seed.py's superuser (emails are unique): the fuzz logs in as the first superuser, as a person would.
SUPERUSER_EMAIL = "fuzz-admin@example.com"
# Small: the point is that lists and lookups answer real rows, not load.
SIZES = SeedSizes(
    subjects=30,
    styles=10,
    shot_types=15,
    guidelines=10,
    pose_presets=10,
    set_designs=4,
    background_presets=4,
    resolution_presets=3,
)


@dataclass(frozen=True)
class Options:
    st: Path
    examples: int
    seed: int
    member: bool
    workers: int
    data_dir: Path


@dataclass
class Summary:
    caller: str
    operations: int = 0
    generated: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # check -> failing operations
    errors: int = 0  # operations schemathesis itself could not test
    exit_code: int = 0
    seconds: float = 0.0

    @property
    def internal_errors(self) -> int:
        return self.failures.get(CHECK, 0)


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--st", type=Path, default=ROOT / ".venv-fuzz" / "bin" / "st", help="the st command")
    parser.add_argument("--examples", type=int, default=40, help="examples per operation (default 40)")
    parser.add_argument("--seed", type=int, default=20261203, help="hypothesis seed, for a reproducible run")
    parser.add_argument("--no-member", dest="member", action="store_false", help="only the superuser run")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers (default 1)")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/bench (.data/bench)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or get_settings().data_dir / "bench"
    return Options(args.st, args.examples, args.seed, args.member, args.workers, data_dir.absolute())


def st_command(options: Options, url: str, token: str, report: Path) -> list[str]:
    return [
        str(options.st),
        "run",
        url,
        "-H",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(options.examples),
        "--checks",
        CHECK,
        "--phases",
        "fuzzing",
        "--seed",
        str(options.seed),
        "--workers",
        str(options.workers),
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]


_GENERATED = re.compile(r"(\d+) generated")


def summarise(caller: str, output: str, report: Path, exit_code: int, seconds: float) -> Summary:
    """Counts from the ndjson events (one per line); the examples generated from the text summary."""
    summary = Summary(caller, exit_code=exit_code, seconds=seconds)
    for line in report.read_text().splitlines():
        event = orjson.loads(line)
        finished = event.get("ScenarioFinished")
        if finished is None:
            continue
        summary.operations += 1
        status = finished.get("status")
        if status == "error":
            summary.errors += 1
        checks: set[str] = set()
        for case in (finished.get("recorder") or {}).get("checks", {}).values():
            for check in case:
                if check.get("status") == "failure":
                    checks.add(check["name"])
        for name in checks:
            summary.failures[name] = summary.failures.get(name, 0) + 1
    found = _GENERATED.findall(output)
    summary.generated = int(found[-1]) if found else 0
    return summary


def run_st(stack: Stack, options: Options, caller: str, token: str) -> Summary:
    report = stack.work_dir / f"fuzz-{caller}.ndjson"
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(HOOKS))
    env.pop("PYTHONPATH", None)
    log.info("st run as %s: %d examples per operation, seed %d", caller, options.examples, options.seed)
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own st and arguments
        st_command(options, f"{stack.api_url}/graphql", token, report),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    (stack.logs / f"fuzz-{caller}.txt").write_text(output)
    print(output, flush=True)
    if not report.exists():
        raise RuntimeError(f"st wrote no report (exit code {result.returncode})")
    return summarise(caller, output, report, result.returncode, seconds)


def render(summaries: Sequence[Summary]) -> str:
    lines = [
        "| caller | operations | examples generated | failures by check | not testable | internal errors | time |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for s in summaries:
        failures = ", ".join(f"{name} {count}" for name, count in sorted(s.failures.items())) or "none"
        lines.append(
            f"| {s.caller} | {s.operations} | {s.generated} | {failures} | {s.errors} | {s.internal_errors} "
            f"| {s.seconds:.0f}s |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    options = parse_options(sys.argv[1:] if argv is None else argv)
    if not options.st.exists():
        print(f"{options.st} is missing: `make fuzz` creates .venv-fuzz with schemathesis", file=sys.stderr)
        return 2
    options.data_dir.mkdir(parents=True, exist_ok=True)
    summaries: list[Summary] = []
    with running_stack(options.data_dir, with_worker=False, superuser_email=SUPERUSER_EMAIL) as stack:
        data = asyncio.run(seed(stack.dsn, LocalStorage(stack.work_dir / "storage"), SIZES))
        log.info("seeded: %s", ", ".join(f"{n} {t}" for t, n in data.rows.items()))
        tokens = {"superuser": stack.token}
        if options.member:
            secret = stack.env["SECRET_KEY"]
            tokens["member"] = create_access_token(data.member_id, secret=secret, expires_minutes=TOKEN_MINUTES)
        for caller, token in tokens.items():
            summaries.append(run_st(stack, options, caller, token))
    print(render(summaries))
    internal = sum(s.internal_errors for s in summaries)
    generated = sum(s.generated for s in summaries)
    print(f"\nexamples generated = {generated}, internal errors = {internal}")
    if any(s.errors for s in summaries):
        print("some operations could not be tested by schemathesis (see the output above)")
    return 1 if internal or any(s.errors for s in summaries) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
