"""A server the tests start as a process of its own (moto's S3 server, PgBouncer): waited for until it answers,
and stopped, whatever happens, at the end."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_POLL_SECONDS = 0.05
_STOP_SECONDS = 10.0


@contextmanager
def stopped_at_exit(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """The process, terminated at the end of the block (killed if it does not stop in 10 s) and waited for."""
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], ready: Callable[[], bool], what: str, timeout: float) -> None:
    """Until `ready()`; RuntimeError if the process exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")
        time.sleep(_POLL_SECONDS)


def listening(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port (a `ready` for servers without a health route)."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True
