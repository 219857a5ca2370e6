"""What every bench command does first: its log format, and signals that unwind like Ctrl-C."""

from __future__ import annotations

import logging
import signal
from types import FrameType


def start_bench_process() -> None:
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    # SIGTERM (and SIGINT even when started in the background, where it is ignored) unwind like Ctrl-C, so the
    # servers stop and the bench database is dropped.
    raise KeyboardInterrupt(signal.Signals(signum).name)
