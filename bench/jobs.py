"""`python -m bench.jobs` (`make bench-jobs`; `make bench` runs it after the read-path bench): the job benchmarks
of issue 5 item 7, against the real API and worker processes (see bench/README.md, "Job benchmarks").

1. LoRA: the API's memory while it receives a 100 MB `uploadSubjectLora` upload (bench/jobs_lora.py).
2. ZIP: 200 JPEGs of 1024x1536 ingested by the worker, images/s next to a bare Pillow loop over the same files,
   and the worker's memory (bench/jobs_zip.py).
3. Progress: the delay from a worker's progress write to the websocket client (bench/jobs_progress.py).
4. Subscriptions: 1,000 `uploadTaskProgress` subscriptions held on one API process (bench/jobs_subscriptions.py).

`--profile` also records the worker under py-spy during the ZIP job (bench/profile.py; needs py-spy installed)
into DATA_DIR/bench/profile-zip-worker.txt and prints its summary.

Prints one table with the targets. Exits 1 when a measurement could not be made or the subscriptions saw errors;
a target missed is reported in the table (as the read-path bench does), not in the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.jobs_lora import LoraResult, measure_lora
from bench.jobs_progress import ProgressResult, measure_progress
from bench.jobs_stack import Stack, create_subject, megabytes, running_stack
from bench.jobs_subscriptions import SubscriptionsResult, measure_subscriptions, shown_errors
from bench.jobs_zip import ZipResult, cover_uri, measure_zip, write_images
from bench.process import start_bench_process
from core.settings import get_settings

log = logging.getLogger("bench")

T = TypeVar("T")

# Targets (issue 5, item 7).
ZIP_RATIO_TARGET = 0.7
LORA_GROWTH_TARGET = 50 * 1024 * 1024
PROGRESS_P99_TARGET_MS = 100.0
PHASES = ("lora", "zip", "progress", "subscriptions")


@dataclass(frozen=True)
class Options:
    data_dir: Path
    subscriptions: int
    sockets: int
    hold: float
    progress_tasks: int
    progress_entries: int
    only: tuple[str, ...]
    markdown: Path | None
    profile: bool


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.jobs", description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1000, help="subscriptions to hold (default 1000)")
    parser.add_argument("--sockets", type=int, default=20, help="websockets carrying them (default 20)")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold them (default 10)")
    parser.add_argument("--progress-tasks", type=int, default=3, help="ZIP tasks followed for the delay")
    parser.add_argument("--progress-entries", type=int, default=2000, help="entries per progress ZIP")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--profile", action="store_true", help="also record the worker under py-spy during the ZIP job")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/bench (.data/bench)")
    args = parser.parse_args(argv)
    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = set(only) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    return Options(
        data_dir=(args.data_dir or get_settings().data_dir / "bench").absolute(),
        subscriptions=args.subscriptions,
        sockets=args.sockets,
        hold=args.hold,
        progress_tasks=args.progress_tasks,
        progress_entries=args.progress_entries,
        only=only,
        markdown=args.markdown,
        profile=args.profile,
    )


@dataclass
class Results:
    lora: LoraResult | None = None
    zip: ZipResult | None = None
    progress: ProgressResult | None = None
    subscriptions: SubscriptionsResult | None = None
    failures: dict[str, str] | None = None


async def _phase(name: str, results: Results, run: Callable[[], Awaitable[T]]) -> T | None:
    """One measurement; a failure is recorded and the next measurement still runs."""
    log.info("--- %s", name)
    try:
        return await run()
    except Exception as exc:
        log.exception("%s failed", name)
        if results.failures is None:
            results.failures = {}
        results.failures[name] = f"{type(exc).__name__}: {exc}"
        return None


async def run_all(stack: Stack, options: Options) -> Results:
    results = Results()
    cover_file = (await asyncio.to_thread(write_images, stack.work_dir / "cover", 1))[0]
    cover = cover_uri(cover_file)
    if "lora" in options.only:
        results.lora = await _phase("lora", results, lambda: measure_lora(stack, cover))
    if "zip" in options.only:
        profile_to = options.data_dir / "profile-zip-worker" if options.profile else None
        results.zip = await _phase("zip", results, lambda: measure_zip(stack, profile_to=profile_to))
    if "progress" in options.only:
        results.progress = await _phase(
            "progress",
            results,
            lambda: measure_progress(stack, cover, tasks=options.progress_tasks, entries=options.progress_entries),
        )
    if "subscriptions" in options.only:

        async def subscriptions() -> SubscriptionsResult:
            async with stack.client() as client:
                subject_id = await create_subject(client, "Bench subscriptions subject", cover)
            return await measure_subscriptions(
                stack, subject_id, subscriptions=options.subscriptions, sockets=options.sockets, hold=options.hold
            )

        results.subscriptions = await _phase("subscriptions", results, subscriptions)
    return results


# --- the table -------------------------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if not math.isnan(value) else "-"


def table_rows(results: Results, options: Options) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    failures = results.failures or {}
    zip_result = results.zip
    if zip_result is not None:
        rows.append(
            (
                f"ZIP ingest, {zip_result.images} JPEGs 1024x1536",
                f"job {zip_result.job_per_second:.1f} img/s, bare loop {zip_result.bare_mean_per_second:.1f} img/s: "
                f"ratio {zip_result.ratio:.2f}",
                f"ratio >= {ZIP_RATIO_TARGET}",
                _verdict(zip_result.ratio >= ZIP_RATIO_TARGET),
            )
        )
        rows.append(
            (
                "worker memory during that job",
                f"peak {megabytes(zip_result.worker_peak)} (idle {megabytes(zip_result.worker_idle)}, "
                f"+{megabytes(zip_result.worker_peak - zip_result.worker_idle)}); VmHWM "
                f"{megabytes(zip_result.worker_hwm)}",
                "reported",
                "-",
            )
        )
    lora = results.lora
    if lora is not None:
        rows.append(
            (
                f"API memory, {lora.size / 2**20:.0f} MB LoRA upload",
                f"+{megabytes(lora.growth)} (RSS {megabytes(lora.api_before)} -> peak {megabytes(lora.api_peak)})",
                f"growth < {LORA_GROWTH_TARGET // 2**20} MB",
                _verdict(lora.growth < LORA_GROWTH_TARGET),
            )
        )
    progress = results.progress
    if progress is not None:
        p99 = progress.p(0.99)
        rows.append(
            (
                "progress write -> websocket client",
                f"p50 {_ms(progress.p(0.5))}, p99 {_ms(p99)}, max {_ms(progress.p(1.0))} ({progress.events} events)",
                f"p99 < {PROGRESS_P99_TARGET_MS:.0f} ms",
                _verdict(progress.events > 0 and p99 < PROGRESS_P99_TARGET_MS),
            )
        )
    subs = results.subscriptions
    if subs is not None:
        rows.append(
            (
                f"{subs.wanted:,} subscriptions on one API process",
                f"{subs.opened:,} held, {len(subs.errors)} errors; {subs.per_subscription / 1024:.1f} KB per "
                f"subscription (RSS {megabytes(subs.api_before)} -> {megabytes(subs.api_held)})",
                f"{subs.wanted:,} with no error",
                _verdict(not subs.errors and subs.opened == subs.wanted),
            )
        )
    for name, failure in failures.items():
        rows.append((name, f"could not be measured: {failure[:200]}", "-", "FAILED"))
    return rows


def render(rows: list[tuple[str, str, str, str]], *, markdown: bool) -> str:
    headers = ("measurement", "result", "target", "")
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def details(results: Results, load: tuple[tuple[float, ...], tuple[float, ...]], seconds: float) -> str:
    """What stands behind each figure, for the README and for whoever has to act on a missed target."""
    lines = []
    start, end = load
    lines.append(
        f"load average (1/5/15 min) at start {start[0]:.2f}/{start[1]:.2f}/{start[2]:.2f}, at end "
        f"{end[0]:.2f}/{end[1]:.2f}/{end[2]:.2f}; {os.cpu_count()} cores; run {seconds:.0f}s"
    )
    if results.zip is not None:
        z = results.zip
        lines.append(
            f"ZIP: archive {megabytes(z.archive_bytes)} (11 shot-type images at the root, the rest under portfolio/), "
            f"upload mutation {z.upload_seconds:.1f}s, job {z.job_seconds:.2f}s (startedAt -> completedAt); bare "
            f"loop {z.bare_per_second[0]:.1f} img/s before and {z.bare_per_second[1]:.1f} after; worker CPU "
            f"{z.worker_cpu_seconds:.2f}s in the {z.wall_seconds:.2f}s from upload to completion "
            f"({100 * z.worker_cpu_seconds / z.wall_seconds:.0f}% of one core); worker RSS sampled {z.samples} times"
        )
    if results.lora is not None:
        lo = results.lora
        lines.append(
            f"LoRA: sent in {lo.upload_seconds:.1f}s; API VmHWM {megabytes(lo.hwm_before)} before, "
            f"{megabytes(lo.hwm_after)} after; the bench's own RSS grew {megabytes(lo.client_growth)} while sending; "
            f"the worker then checked it: {lo.status}, {lo.tensors} tensors"
        )
    if results.progress is not None:
        pr = results.progress
        breakdown = ""
        if pr.write_to_publish_ms:
            breakdown = (
                f"; write -> PUBLISH heard p50 {_ms(pr.p(0.5, pr.write_to_publish_ms))}, p99 "
                f"{_ms(pr.p(0.99, pr.write_to_publish_ms))}; PUBLISH heard -> websocket p50 "
                f"{_ms(pr.p(0.5, pr.publish_to_client_ms))}, p99 {_ms(pr.p(0.99, pr.publish_to_client_ms))}"
            )
        lines.append(
            f"progress: {pr.tasks} tasks x {pr.entries_per_task} entries ({pr.job_seconds:.1f}s of jobs), "
            f"{pr.writes} writes after subscribing, {pr.events} delivered, {pr.coalesced} coalesced into a later "
            f"state{breakdown}"
        )
    if results.subscriptions is not None:
        s = results.subscriptions
        lines.append(
            f"subscriptions: {s.sockets} websockets, opened in {s.open_seconds:.1f}s, held {s.hold_seconds:.1f}s "
            f"(API CPU {s.cpu_percent_held:.0f}% of a core while held, peak RSS {megabytes(s.api_peak)}); Redis "
            f"channels subscribed {s.channels_held} while held, {s.channels_after} after closing; API RSS after "
            f"closing {megabytes(s.api_after_close)}"
        )
        if s.errors:
            lines.append(f"subscription errors: {shown_errors(s.errors)}")
    return "\n".join(f"- {line}" for line in lines)


# --- main ------------------------------------------------------------------------------------------------------------


def _run(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main(argv: Sequence[str] | None = None) -> int:
    start_bench_process()
    options = parse_options(sys.argv[1:] if argv is None else argv)
    load_start = os.getloadavg()
    started = time.monotonic()
    log.info("load average at start: %.2f %.2f %.2f", *load_start)
    with running_stack(options.data_dir) as stack:
        results: Results = _run(run_all(stack, options))
    load_end = os.getloadavg()
    rows = table_rows(results, options)
    notes = details(results, (load_start, load_end), time.monotonic() - started)
    print()
    print(render(rows, markdown=False))
    print()
    print(notes)
    if options.markdown is not None:
        options.markdown.write_text(render(rows, markdown=True) + "\n\n" + notes + "\n")
    failed = bool(results.failures) or bool(results.subscriptions and results.subscriptions.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
