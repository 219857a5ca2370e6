"""The API served as `make run` serves it (`graph.app:app`, uvicorn, the same HTTP protocol), with every garbage
collection recorded: for `python -m bench.gc_pauses`, which starts it.

    python -m bench.gc_probe HOST PORT REPORT_PATH THRESHOLD [no-freeze] [no-idle] [census]

THRESHOLD: `app` (what graph/app.py sets), `default` (CPython's 700,10,10) or `A,B,C` (`0,...` turns automatic
collection off). `no-freeze`: without core/collector.py's `gc.freeze()` at start-up; `no-idle`: without its
collections when no request is in flight (the comparison's other sides). With `census`, each collection first counts
the objects it is about to walk (those tracked in its generation and the younger ones) by type, and the references
they hold, with the objects holding the most: what a pause is made of. The count runs before the pause's clock
starts, so durations stay the collection's own, but it stalls the process too (a diagnosis, not a measurement of
throughput). A thread samples the collector's count of allocations minus deallocations every millisecond: its peak
is what a threshold must exceed for no collection to start. SIGUSR1 forgets the collections so far (the end of a
warm-up); SIGUSR2 writes the collections since then to REPORT_PATH as JSON.
"""

from __future__ import annotations

import gc
import heapq
import math
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import uvicorn

import graph.app
from core.collector import idle_collector
from core.devrun import SLOW_HEADERS_PROTOCOL

CPYTHON_DEFAULT_THRESHOLD = (700, 10, 10)
CENSUS_TYPES = 12  # the most common types a census names
SAMPLE_SECONDS = 0.001


class Collections:
    """Every collection's generation, duration (ms), count of unreachable objects found and CPU time (ms, the
    process's main thread's: on a busy machine the duration also holds the time other processes ran); with
    `census`, also what it walked (`walked_by`)."""

    def __init__(self, census: bool) -> None:
        self.records: list[tuple[int, float, int, float]] = []
        self.censuses: list[tuple[int, list[tuple[str, int]], int, list[tuple[str, int]]]] = []
        self._census = census
        self._started = self._started_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            if self._census:
                self.censuses.append(walked_by(info["generation"]))
            self._started = time.perf_counter()
            self._started_cpu = time.thread_time()
        else:
            milliseconds = (time.perf_counter() - self._started) * 1000
            cpu_milliseconds = (time.thread_time() - self._started_cpu) * 1000  # without the time others ran
            self.records.append((info["generation"], milliseconds, info["collected"], cpu_milliseconds))


class PeakCount:
    """The highest count of allocations minus deallocations (gc.get_count()[0]) since the last reset."""

    def __init__(self) -> None:
        self.peak = 0

    def sample_forever(self) -> None:
        while True:
            self.peak = max(self.peak, gc.get_count()[0])
            time.sleep(SAMPLE_SECONDS)


def walked_by(generation: int) -> tuple[int, list[tuple[str, int]], int, list[tuple[str, int]]]:
    """The objects a collection of `generation` is about to walk: their count, most common types, the references
    they hold (each one visited by the walk, tracked or not) and the objects holding the most."""
    kinds: Counter[str] = Counter()
    references = 0
    biggest: list[tuple[int, str]] = []
    for younger in range(generation + 1):
        for each in gc.get_objects(younger):
            name = type(each).__qualname__
            kinds[name] += 1
            held = len(gc.get_referents(each))
            references += held
            biggest.append((held, name))
            if len(biggest) > CENSUS_TYPES * 4:  # keep the list short: the largest so far
                biggest = heapq.nlargest(CENSUS_TYPES, biggest)
    largest = [(name, held) for held, name in heapq.nlargest(CENSUS_TYPES // 3, biggest)]
    return sum(kinds.values()), kinds.most_common(CENSUS_TYPES), references, largest


def main(argv: list[str]) -> None:
    host, port, report_path, threshold, *flags = argv
    if "no-idle" in flags:
        idle_collector.interval_seconds = math.inf
    if "no-freeze" in flags:
        graph.app.freeze_start_up = lambda process: 0  # type: ignore[attr-defined]  # the comparison's other side
    app = graph.app.create_app()
    if threshold == "default":
        gc.set_threshold(*CPYTHON_DEFAULT_THRESHOLD)
    elif threshold != "app":
        first, second, third = (int(part) for part in threshold.split(","))
        gc.set_threshold(first, second, third)
    collections = Collections("census" in flags)
    gc.callbacks.append(collections)
    peak_count = PeakCount()
    threading.Thread(target=peak_count.sample_forever, name="gc-count-sampler", daemon=True).start()

    def forget(_signum: int, _frame: FrameType | None) -> None:
        collections.records = []
        collections.censuses = []
        peak_count.peak = 0

    def report(_signum: int, _frame: FrameType | None) -> None:
        content = {
            "records": collections.records,
            "censuses": collections.censuses,
            "threshold": gc.get_threshold(),
            "frozen": gc.get_freeze_count(),
            "peak_count": peak_count.peak,
        }
        Path(report_path).write_bytes(orjson.dumps(content))

    signal.signal(signal.SIGUSR1, forget)
    signal.signal(signal.SIGUSR2, report)
    config = uvicorn.Config(
        app, host=host, port=int(port), http=SLOW_HEADERS_PROTOCOL, proxy_headers=False, log_level="warning"
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(sys.argv[1:])
