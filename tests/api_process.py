"""An API process started exactly as a deployment starts it (`core.devrun.api_command`), on a loopback port."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.devrun import api_command
from core.embedded import free_port
from tests.conftest import REPO_ROOT

READY_TIMEOUT = 60.0


@dataclass
class ApiProcess:
    """`api_command` (`python -m uvicorn graph.app:app ...`) on a loopback port, as a deployment runs it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    async def wait_ready(self) -> None:
        """Until /readyz answers 200 (database and Redis reachable)."""
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                assert self.process.poll() is None, f"API process exited:\n{self.log()}"
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                assert time.monotonic() < deadline, f"API process not ready in {READY_TIMEOUT}s:\n{self.log()}"
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def start_api_process(env: dict[str, str], log_path: Path) -> ApiProcess:
    """`api_command` with this environment; its output goes to `log_path`. Call `wait_ready`, then `stop`."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            api_command("127.0.0.1", port), cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return ApiProcess(process=process, port=port, log_path=log_path)
