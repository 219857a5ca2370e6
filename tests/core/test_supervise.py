"""`make run`'s restart rules (core/supervise.py) on real child processes: a dead child comes back after a growing
delay, one that keeps dying is given up on, one that died once stays up."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.supervise import Child, CrashBudget, GaveUp, RestartPolicy, Supervisor

FAST = RestartPolicy(first_delay_seconds=0.2, max_delay_seconds=0.8, max_deaths=5, window_seconds=60)


class Processes:
    """Real `python -c` children, each started again by `start()`, all killed at the end."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def child(self, name: str, code: str, *args: str) -> Child:
        def start() -> None:
            self.started.append(subprocess.Popen([sys.executable, "-c", code, *args]))  # noqa: S603

        def ended() -> str | None:
            returncode = self.started[-1].poll()
            return None if returncode is None else f"exit code {returncode}"

        start()
        return Child(name, start, ended)


@pytest.fixture
def processes() -> Iterator[Processes]:
    running = Processes()
    yield running
    for process in running.started:
        if process.poll() is None:
            process.kill()
            process.wait()


# Appends the time it started to a file, then exits with 3.
CRASHER = "import sys, time\nwith open(sys.argv[1], 'a') as f: f.write(f'{time.monotonic()}\\n')\nsys.exit(3)"
# Dies the first time (leaving a marker), then runs until killed.
DIES_ONCE = (
    "import os, sys, time\n"
    "if not os.path.exists(sys.argv[1]):\n    open(sys.argv[1], 'w').close()\n    sys.exit(1)\n"
    "time.sleep(120)"
)


def test_a_child_that_keeps_dying_is_restarted_with_backoff_then_given_up(
    processes: Processes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    starts_file = tmp_path / "starts"
    supervisor = Supervisor(FAST)
    supervisor.add(processes.child("crasher", CRASHER, str(starts_file)))
    began = time.monotonic()
    with caplog.at_level("INFO", logger="devrun"), pytest.raises(GaveUp) as gave_up:
        supervisor.run(poll_seconds=0.02)
    assert time.monotonic() - began < 30

    assert str(gave_up.value) == "crasher stopped on its own (exit code 3), its 5th death within 60s; giving up on it"
    starts = [float(line) for line in starts_file.read_text().split()]
    assert len(starts) == 5 == len(processes.started)  # the first start and four restarts; no fifth restart
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    for gap, delay in zip(gaps, [0.2, 0.4, 0.8, 0.8], strict=True):  # doubling, capped at max_delay_seconds
        assert delay <= gap < delay + 5, gaps
    assert [r.getMessage() for r in caplog.records if "restarting it in" in r.getMessage()] == [
        f"crasher stopped on its own (exit code 3); restarting it in {delay:.1f}s" for delay in (0.2, 0.4, 0.8, 0.8)
    ]


def test_a_child_that_died_once_is_restarted_and_stays_up(processes: Processes, tmp_path: Path) -> None:
    supervisor = Supervisor(FAST)
    supervisor.add(processes.child("flaky", DIES_ONCE, str(tmp_path / "died-once")))
    deadline = time.monotonic() + 20
    while len(processes.started) < 2:
        assert time.monotonic() < deadline, "not restarted"
        supervisor.check()
        time.sleep(0.02)
    time.sleep(1)  # long enough for a second death to show
    for _ in range(10):
        supervisor.check()
    assert len(processes.started) == 2
    assert processes.started[0].returncode == 1
    assert processes.started[1].poll() is None


def test_only_deaths_within_the_window_count() -> None:
    budget = CrashBudget(RestartPolicy(first_delay_seconds=1, max_delay_seconds=30, max_deaths=5, window_seconds=60))
    assert [budget.died(at) for at in (0, 10, 20, 30)] == [1, 2, 4, 8]
    assert budget.died(100) == 1  # the four earlier deaths are over a minute old: a fresh start
    assert [budget.died(at) for at in (101, 102, 103)] == [2, 4, 8]
    assert budget.died(104) is None  # five within a minute: broken, not unlucky
    many = CrashBudget(RestartPolicy(first_delay_seconds=1, max_delay_seconds=30, max_deaths=10, window_seconds=60))
    assert [many.died(at) for at in range(7)] == [1, 2, 4, 8, 16, 30, 30]
