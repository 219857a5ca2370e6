"""The system the jobs bench measures, started the way `make run` starts it: the API (`python -m uvicorn
graph.app:app`) and one worker (`python -m jobs.worker`) as processes of their own, against a
database and Redis chosen by bench/servers.py, with storage in a temp folder; plus the first superuser (made by
`python -m services.bootstrap`, logged in through the token endpoint) and the small HTTP client the phases share.

Everything started here is stopped, and the temp folder and this run's Redis keys removed, when the block exits
(bench/servers.py drops the database), on failure too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from redis import Redis

from bench.servers import BenchServers, bench_servers
from core.devrun import BOOTSTRAP, MIGRATE, WORKER, api_command
from core.embedded import die_with_parent, free_port

log = logging.getLogger("bench")

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
# GraphQL multipart requests must carry a header a browser form cannot send (graph/uploads.py).
CSRF = {"Apollo-Require-Preflight": "true"}
SUPERUSER_EMAIL = "bench-admin@example.com"
HTTP_TIMEOUT_SECONDS = 300.0


class BenchError(RuntimeError):
    """A measurement could not be made (the system answered something unexpected)."""


# --- processes -------------------------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM (a graceful stop for both uvicorn and arq), then SIGKILL if it lingers."""
        if not self.alive:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %ss; killing it", self.name, STOP_TIMEOUT_SECONDS)
            self.process.kill()
            self.process.wait()


def spawn(name: str, command: Sequence[str], env: dict[str, str], logs: Path) -> Child:
    log_path = logs / f"jobs-{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and fixed module names
            list(command),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
    return Child(name, process, log_path)


def _wait_until(child: Child, ready: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not child.alive:
            raise BenchError(f"{child.name} exited (code {child.process.returncode}); see {child.log_path}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.1)
    raise BenchError(f"{child.name}: {what} not seen after {READY_TIMEOUT_SECONDS}s; see {child.log_path}")


# --- memory, from /proc ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    rss: int  # bytes resident now
    hwm: int  # the process's peak resident size since it started (it cannot be reset from outside)


def memory(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return Memory(rss=fields["VmRSS"], hwm=fields["VmHWM"])


class PeakSampler:
    """Reads the resident size of some processes every `interval` seconds in a thread, keeping each one's first
    reading and maximum. VmHWM alone cannot tell what one step cost (it holds the maximum since the process
    started, whatever caused it); sampling VmRSS can, to within what lives shorter than the interval."""

    def __init__(self, pids: Sequence[int], interval: float = 0.01) -> None:
        self.pids = list(pids)
        self.interval = interval
        self.start: dict[int, int] = {pid: memory(pid).rss for pid in self.pids}
        self.peak: dict[int, int] = dict(self.start)
        self.samples = 0
        self._stop_flag = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop_flag.set()
        self._thread.join()
        self._sample()  # one last reading, so a peak at the very end is not missed

    def _run(self) -> None:
        while not self._stop_flag.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(OSError, KeyError):
                rss = memory(pid).rss
                if rss > self.peak[pid]:
                    self.peak[pid] = rss
        self.samples += 1

    def growth(self, pid: int) -> int:
        return self.peak[pid] - self.start[pid]


def megabytes(size: float) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- the stack -------------------------------------------------------------------------------------------------------


@dataclass
class Stack:
    servers: BenchServers
    env: dict[str, str]
    work_dir: Path  # temp folder of this run (storage, generated files); removed at the end
    logs: Path
    api: Child
    api_url: str
    worker: Child | None
    token: str
    superuser_id: str
    redis_prefix: str

    @property
    def redis_url(self) -> str:
        return self.servers.redis_url

    @property
    def dsn(self) -> str:
        return self.servers.dsn

    @property
    def ws_url(self) -> str:
        return self.api_url.replace("http://", "ws://", 1) + "/graphql"

    def start_worker(self) -> Child:
        worker = spawn("worker", WORKER, self.env, self.logs)
        self.worker = worker
        key = f"{self.redis_prefix}:queue:health-check"  # arq writes it once its main loop runs
        with Redis.from_url(self.redis_url) as redis:
            _wait_until(worker, lambda: redis.exists(key), "its health check")
        # The cron jobs that run at start-up (staging sweep, reaper) are done within a moment.
        time.sleep(1.0)
        log.info("worker ready (pid %s, log %s)", worker.pid, worker.log_path)
        return worker

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )


def _environment(servers: BenchServers, storage_dir: Path, email: str, password: str, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ENVIRONMENT="development",
        DATABASE_URL=servers.database_url,
        REDIS_URL=servers.redis_url,
        REDIS_PREFIX=prefix,
        STORAGE_DIR=str(storage_dir),
        SECRET_KEY=secrets.token_urlsafe(32),
        FIRST_SUPERUSER_EMAIL=email,
        FIRST_SUPERUSER_PASSWORD=password,
        PYTHONUNBUFFERED="1",
    )
    return env


def _login(api_url: str, email: str, password: str) -> tuple[str, str]:
    """The superuser's token (the OAuth2 password flow) and id."""
    response = httpx.post(f"{api_url}/api/v1/login/access-token", data={"username": email, "password": password})
    if response.status_code != 200:
        raise BenchError(f"login answered {response.status_code}: {response.text[:300]}")
    token = response.json()["access_token"]
    me = httpx.post(
        f"{api_url}/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    return token, me["data"]["me"]["id"]


def _delete_redis_keys(redis_url: str, prefix: str) -> None:
    with Redis.from_url(redis_url) as redis:
        keys = list(redis.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            redis.delete(*keys[start : start + 500])


@contextlib.contextmanager
def running_stack(
    data_dir: Path, *, with_worker: bool = True, superuser_email: str = SUPERUSER_EMAIL
) -> Iterator[Stack]:
    """`superuser_email`: the first superuser's, the one logged in; another than bench/seed.py's when the
    caller seeds that dataset too (emails are unique)."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root, the embedded PostgreSQL runs as another user who must get through
    work_dir = Path(tempfile.mkdtemp(prefix="jobs-", dir=data_dir))
    started: list[Child] = []
    stack: Stack | None = None
    try:
        with bench_servers(data_dir) as servers:
            log.info(
                "PostgreSQL: %s, database %s; Redis: %s",
                servers.postgres_source,
                servers.database,
                servers.redis_source,
            )
            prefix = f"studio-bench-jobs-{servers.database}"
            password = secrets.token_urlsafe(16)
            env = _environment(servers, work_dir / "storage", superuser_email, password, prefix)
            try:
                for command in (MIGRATE, BOOTSTRAP):
                    subprocess.run(command, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)  # noqa: S603
                port = free_port()
                api = spawn("api", api_command(HOST, port), env, logs)
                started.append(api)
                api_url = f"http://{HOST}:{port}"
                _wait_until(api, lambda: httpx.get(f"{api_url}/readyz", timeout=2.0).status_code == 200, "/readyz")
                log.info("API ready on port %s (pid %s, log %s)", port, api.pid, api.log_path)
                token, superuser_id = _login(api_url, superuser_email, password)
                stack = Stack(servers, env, work_dir, logs, api, api_url, None, token, superuser_id, prefix)
                if with_worker:
                    started.append(stack.start_worker())
                yield stack
            finally:
                if stack is not None:
                    stack.stop_worker()
                for child in reversed(started):
                    child.stop()
                with contextlib.suppress(Exception):
                    _delete_redis_keys(servers.redis_url, f"studio-bench-jobs-{servers.database}")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


# --- requests --------------------------------------------------------------------------------------------------------


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchError(f"GraphQL answered {response.status_code}: {str(body)[:500]}")
    data: dict[str, Any] = body["data"]
    return data


async def upload(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    file: IO[bytes],
    *,
    filename: str,
    content_type: str,
) -> dict[str, Any]:
    """A GraphQL multipart request with one file in `variables.file`. httpx streams a file object in chunks
    (64 KB) with a Content-Length from its size, so the bench never holds the file in memory either."""
    response = await client.post(
        "/graphql",
        data={
            "operations": orjson.dumps({"query": query, "variables": {**variables, "file": None}}).decode(),
            "map": '{"0": ["variables.file"]}',
        },
        files={"0": (filename, file, content_type)},
        headers=CSRF,
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchError(f"upload answered {response.status_code}: {str(body)[:500]}")
    data: dict[str, Any] = body["data"]
    return data


CREATE_SUBJECT = "mutation($input: SubjectCreate!) { createSubject(input: $input) { id } }"


async def create_subject(client: httpx.AsyncClient, name: str, cover_uri: str) -> str:
    data = await graphql(
        client, CREATE_SUBJECT, {"input": {"name": name, "ageClass": "ADULT", "coverImage": {"url": cover_uri}}}
    )
    return str(data["createSubject"]["id"])
