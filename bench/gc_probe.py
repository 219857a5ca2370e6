"""The API served as `make run` serves it (`graph.app:app`, uvicorn, the same HTTP protocol), with every garbage
collection recorded: for `python -m bench.gc_pauses`, which starts it.

    python -m bench.gc_probe HOST PORT REPORT_PATH THRESHOLD FREEZE

THRESHOLD: `app` (what graph/app.py sets), `default` (CPython's 700,10,10) or `A,B,C`; FREEZE: `freeze` (what the
app does at start-up) or `no-freeze`. SIGUSR1 forgets the collections so far (the end of a warm-up); SIGUSR2
writes the collections since then to REPORT_PATH as JSON.
"""

from __future__ import annotations

import gc
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import uvicorn

import graph.app
from core.devrun import SLOW_HEADERS_PROTOCOL

CPYTHON_DEFAULT_THRESHOLD = (700, 10, 10)


class Collections:
    """Every collection's generation, duration (ms) and count of unreachable objects found."""

    def __init__(self) -> None:
        self.records: list[tuple[int, float, int]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.records.append((info["generation"], (time.perf_counter() - self._started) * 1000, info["collected"]))


def main(argv: list[str]) -> None:
    host, port, report_path, threshold, freeze = argv
    if freeze == "no-freeze":
        graph.app.freeze_start_up = lambda _process: 0  # type: ignore[assignment]  # the comparison's other side
    app = graph.app.create_app()
    if threshold == "default":
        gc.set_threshold(*CPYTHON_DEFAULT_THRESHOLD)
    elif threshold != "app":
        first, second, third = (int(part) for part in threshold.split(","))
        gc.set_threshold(first, second, third)
    collections = Collections()
    gc.callbacks.append(collections)

    def forget(_signum: int, _frame: FrameType | None) -> None:
        collections.records = []

    def report(_signum: int, _frame: FrameType | None) -> None:
        content = {"records": collections.records, "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
        Path(report_path).write_bytes(orjson.dumps(content))

    signal.signal(signal.SIGUSR1, forget)
    signal.signal(signal.SIGUSR2, report)
    config = uvicorn.Config(
        app, host=host, port=int(port), http=SLOW_HEADERS_PROTOCOL, proxy_headers=False, log_level="warning"
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(sys.argv[1:])
