"""`make run` itself (`python -m core.devrun`), as a process: a worker killed outright is started again while the
API keeps serving, and SIGTERM stops every child and exits cleanly. It uses this session's PostgreSQL database and
Redis prefix (DATABASE_URL and REDIS_URL set, so no embedded server is started)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.embedded import free_port
from core.settings import Settings
from tests.conftest import REPO_ROOT
from tests.jobs.conftest import worker_environment

WORKER_PID = re.compile(r"devrun: worker: pid (\d+)")
API_PID = re.compile(r"devrun: api: pid (\d+)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(condition: Callable[[], bool], what: str, log_path: Path, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {within}s:\n{log_path.read_text(errors='replace')}"
        time.sleep(0.1)


def devrun_environment(settings: Settings, port: int, data_dir: Path) -> dict[str, str]:
    """The session's database and Redis, with a queue prefix of its own: a worker SIGKILLed mid-job (or mid-cron)
    leaves its job marked in progress for arq's expiry, which must not hold up the session's other workers."""
    prefix = f"{settings.redis_prefix}-devrun-{uuid.uuid4().hex[:8]}"
    return worker_environment(settings, HOST="127.0.0.1", PORT=str(port), DATA_DIR=str(data_dir), REDIS_PREFIX=prefix)


@contextmanager
def running_devrun(
    environment: dict[str, str], log_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Callable[[], str]]]:
    """`python -m core.devrun` (what `make run` starts) and a reader of its output so far (kept in `log_path`);
    killed if a test leaves it up."""
    with log_path.open("wb") as log_file:
        devrun = subprocess.Popen(
            [sys.executable, "-m", "core.devrun"], cwd=REPO_ROOT, env=environment, stdout=log_file, stderr=log_file
        )

    def log() -> str:
        return log_path.read_text(errors="replace")

    try:
        yield devrun, log
    finally:
        if devrun.poll() is None:
            devrun.kill()
            devrun.wait()


def _answers(port: int, path: str) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _healthy(port: int) -> bool:
    return _answers(port, "/healthz")


def test_make_run_restarts_a_killed_worker_and_stops_everything_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    environment = devrun_environment(settings, port, tmp_path / "data")
    log_path = tmp_path / "devrun.log"
    with running_devrun(environment, log_path) as (devrun, log):
        _wait(lambda: _healthy(port), "API", log_path)
        _wait(lambda: "Starting worker" in log(), "worker", log_path)
        [api_pid] = map(int, API_PID.findall(log()))
        [first_worker] = map(int, WORKER_PID.findall(log()))

        os.kill(first_worker, signal.SIGKILL)  # as the kernel's OOM killer would
        _wait(lambda: len(WORKER_PID.findall(log())) == 2, "restart", log_path)
        _wait(lambda: log().count("Starting worker") == 2, "restarted worker", log_path)
        second_worker = int(WORKER_PID.findall(log())[1])
        assert second_worker != first_worker and _alive(second_worker)
        assert "devrun: worker stopped on its own (exit code -9); restarting it in 1.0s" in log()
        # The API was not touched: same process, still answering.
        assert API_PID.findall(log()) == [str(api_pid)] and _alive(api_pid)
        assert _healthy(port)

        devrun.send_signal(signal.SIGTERM)
        assert devrun.wait(timeout=30) == 0, log()
    assert not _alive(second_worker) and not _alive(api_pid), log()
    assert log().rstrip().endswith("devrun: stopped"), log()


def _pid_of_redis_on(address: str) -> int:
    """The redis-server listening at `address` (it shows its address in its process title)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ("redis" in title or "valkey" in title) and address in title:
            return int(entry.name)
    raise AssertionError(f"no redis-server at {address}")


def _ready(port: int) -> bool:
    return _answers(port, "/readyz")


def test_make_run_restarts_a_killed_embedded_redis_on_its_port_and_the_worker_carries_on(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    data = tmp_path / "data"
    environment = devrun_environment(settings, port, data)
    del environment["REDIS_URL"]  # an embedded Redis under DATA_DIR, as `make run` starts with nothing configured
    log_path = tmp_path / "devrun.log"
    with running_devrun(environment, log_path) as (devrun, log):
        _wait(lambda: _ready(port), "ready API", log_path)
        _wait(lambda: "Starting worker" in log(), "worker", log_path)
        [redis_url] = re.findall(r"devrun: Redis: embedded \S+ \S+, (redis://\S+),", log())
        [worker] = map(int, WORKER_PID.findall(log()))
        redis_pid = _pid_of_redis_on(redis_url.removeprefix("redis://").split("/")[0])

        os.kill(redis_pid, signal.SIGKILL)
        _wait(lambda: "embedded Redis is back" in log(), "Redis restart", log_path)
        assert f"devrun: embedded Redis is back: {redis_url}" in log()  # same port: clients reconnect by themselves
        _wait(lambda: _ready(port), "API ready again", log_path)
        _wait(lambda: "Redis is back" in log(), "worker reconnection", log_path)
        # Neither the API nor the worker was restarted: each rode out the outage.
        assert WORKER_PID.findall(log()) == [str(worker)] and _alive(worker)
        assert len(API_PID.findall(log())) == 1

        devrun.send_signal(signal.SIGTERM)
        assert devrun.wait(timeout=30) == 0, log()
    assert not _alive(worker), log()
    # The API and the worker stopped before the server they use.
    stopped = log()
    assert stopped.index("shutdown on SIGTERM") < stopped.index("stopping embedded Redis"), stopped
    assert stopped.index("Finished server process") < stopped.index("stopping embedded Redis"), stopped
