"""`make run`: the whole product on one machine with nothing configured (`python -m core.devrun`).

Starts an embedded PostgreSQL and Redis under DATA_DIR when DATABASE_URL / REDIS_URL are unset, migrates,
creates the first superuser, then runs the API and one worker until Ctrl-C or SIGTERM. The child commands are
exactly the production ones (see Dockerfile), only their environment differs.

What dies is started again (core/supervise.py): the API, the worker or an embedded server, after 1, 2, 4 ... 30 s;
a restarted server comes back on its port, and the API and worker reconnect by themselves. Something that dies
5 times within 60 s is broken: then everything stops, saying which. Stopping (Ctrl-C, SIGTERM, giving up) stops
the API and the worker first, then the embedded Redis and PostgreSQL, and waits for each.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

from core.embedded import EmbeddedPostgres, EmbeddedRedis, die_with_parent
from core.settings import Settings, get_settings
from core.supervise import Child, GaveUp, RestartPolicy, Supervisor

log = logging.getLogger("devrun")

PY = sys.executable
MIGRATE = [PY, "-m", "alembic", "upgrade", "head"]
BOOTSTRAP = [PY, "-m", "services.bootstrap"]
WORKER = [PY, "-m", "jobs.worker"]
CHILD_STOP_SECONDS = 15.0
_POLL_SECONDS = 0.2
# uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (its FORWARDED_ALLOW_IPS default) and rewrite the
# peer before the app sees it; the app decides alone, from our FORWARDED_ALLOW_IPS (core/client_address.py).
# The Dockerfile's CMD passes the same options.
UVICORN_OPTIONS = ("--no-proxy-headers",)


SLOW_HEADERS_PROTOCOL = "graph.slow_clients:SlowHeadersProtocol"


def api_command(host: str, port: int) -> list[str]:
    # The httptools protocol with a deadline on request headers (graph/slow_clients.py).
    return [
        PY,
        "-m",
        "uvicorn",
        "graph.app:app",
        "--host",
        host,
        "--port",
        str(port),
        "--http",
        SLOW_HEADERS_PROTOCOL,
        *UVICORN_OPTIONS,
    ]


class ShutdownRequested(BaseException):
    """Raised from the SIGINT/SIGTERM handler to unwind whatever step is under way; a BaseException, like
    KeyboardInterrupt, so no `except Exception` on the way swallows it."""


class ChildFailed(Exception):
    """A command we run exited on its own, or with an error."""


def redact_url(url: str) -> str:
    """The URL with any password replaced, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _shown(path: Path) -> str:
    """A path as a reader wants it in a log: relative to where `make run` was typed when inside it."""
    absolute = path.absolute()
    return str(absolute.relative_to(Path.cwd())) if absolute.is_relative_to(Path.cwd()) else str(absolute)


class DevRun:
    def __init__(self, settings: Settings, policy: RestartPolicy | None = None) -> None:
        self.settings = settings
        self.env = dict(os.environ)
        self.embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.supervisor = Supervisor(policy)
        self._long_running: dict[str, list[str]] = {}

    def start_services(self) -> None:
        data_dir = self.settings.data_dir
        if self.settings.database_url:
            database_url = self.settings.database_url
            log.info("PostgreSQL: %s (DATABASE_URL)", redact_url(database_url))
        else:
            postgres = EmbeddedPostgres(data_dir / "postgres")
            self.embedded.append(postgres)
            started = time.monotonic()
            database_url = postgres.start()
            log.info(
                "PostgreSQL: embedded, %s, data in %s (%.1fs)",
                database_url,
                _shown(postgres.pgdata),
                time.monotonic() - started,
            )
        if self.settings.redis_url:
            redis_url = self.settings.redis_url
            log.info("Redis: %s (REDIS_URL)", redact_url(redis_url))
        else:
            redis = EmbeddedRedis(data_dir / "redis")
            self.embedded.append(redis)
            started = time.monotonic()
            redis_url = redis.start()
            log.info(
                "Redis: embedded %s %s, %s, data in %s (%.1fs)",
                redis.binary,
                redis.version,
                redis_url,
                _shown(redis.folder),
                time.monotonic() - started,
            )
        # Children read their settings from the environment, which beats the .env file.
        self.env["DATABASE_URL"] = database_url
        self.env["REDIS_URL"] = redis_url
        log.info("Files: %s", _shown(self.settings.storage_dir))
        for server in self.embedded:
            self.supervisor.add(self._supervised_server(server))

    def _supervised_server(self, server: EmbeddedPostgres | EmbeddedRedis) -> Child:
        variable = "DATABASE_URL" if isinstance(server, EmbeddedPostgres) else "REDIS_URL"

        def start() -> None:
            server.stop()  # releases the folder lock and forgets the dead process
            url = server.start()  # on its previous port when that is still free
            log.info("embedded %s is back: %s", server.name, url)
            if url != self.env[variable]:
                # Its port was taken meanwhile: the API and the worker must be told the new address.
                self.env[variable] = url
                for name in self._long_running:
                    self._restart(name)

        def ended() -> str | None:
            return None if server.is_running() else f"see {server.log_path}"

        return Child(f"embedded {server.name}", start, ended)

    def run_once(self, name: str, command: Sequence[str]) -> None:
        log.info("%s: python %s", name, " ".join(command[1:]))
        code = self._spawn(name, command).wait()
        del self.children[name]  # only once finished: a signal during wait() leaves it for stop_children
        if code != 0:
            raise ChildFailed(f"{name} failed (exit code {code})")

    def start_long_running(self) -> None:
        host, port = self.settings.host, self.settings.port
        for name, command in (("api", api_command(host, port)), ("worker", WORKER)):
            self._long_running[name] = command
            self._start_supervised(name)
            self.supervisor.add(Child(name, functools.partial(self._start_supervised, name), self._ended(name)))
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only compared
        log.info("API: http://%s:%s/graphql (GraphiQL in a browser); Ctrl-C stops everything", shown_host, port)

    def watch(self) -> None:
        """Restart whatever dies, until a signal arrives or something dies too often (raising ChildFailed)."""
        try:
            self.supervisor.run(_POLL_SECONDS)
        except GaveUp as gave_up:
            raise ChildFailed(str(gave_up)) from None

    def _start_supervised(self, name: str) -> None:
        process = self._spawn(name, self._long_running[name])
        log.info("%s: pid %d", name, process.pid)

    def _ended(self, name: str) -> Callable[[], str | None]:
        def ended() -> str | None:
            code = self.children[name].poll()
            return None if code is None else f"exit code {code}"

        return ended

    def _restart(self, name: str) -> None:
        """Stop a running child and start it again (with the current environment)."""
        self._stop_processes({name: self.children[name]})
        self._start_supervised(name)

    def _spawn(self, name: str, command: Sequence[str]) -> subprocess.Popen[bytes]:
        # Own session: a Ctrl-C in the terminal reaches only us, and we stop children once, in order, instead
        # of every process getting the signal at the same time. If we are killed outright, they get SIGTERM.
        process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed module names
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        self.children[name] = process
        return process

    def stop_children(self) -> None:
        """The API, the worker and any one-off command, all at once (they do not depend on each other)."""
        self._stop_processes(self.children)
        self.children.clear()

    @staticmethod
    def _stop_processes(processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + CHILD_STOP_SECONDS
        for name, process in processes.items():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %ss; killing it", name, CHILD_STOP_SECONDS)
                process.kill()
                process.wait()

    def stop_services(self) -> None:
        for server in reversed(self.embedded):
            if server.is_running():
                log.info("stopping embedded %s", server.name)
            server.stop()
        self.embedded.clear()


def _raise_shutdown(signum: int, _frame: FrameType | None) -> None:
    # Later signals only log: the first one is already unwinding, and cleanup must not be cut short.
    signal.signal(signal.SIGINT, _log_second_signal)
    signal.signal(signal.SIGTERM, _log_second_signal)
    raise ShutdownRequested(signal.Signals(signum).name)


def _log_second_signal(_signum: int, _frame: FrameType | None) -> None:
    log.info("already stopping")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="devrun: %(message)s")
    signal.signal(signal.SIGINT, _raise_shutdown)
    signal.signal(signal.SIGTERM, _raise_shutdown)
    run = DevRun(get_settings())
    code = 0
    try:
        run.start_services()
        run.run_once("migrate", MIGRATE)
        run.run_once("bootstrap", BOOTSTRAP)
        run.start_long_running()
        run.watch()
    except ShutdownRequested as stop:
        log.info("%s received: stopping", stop)
    except ChildFailed as failure:
        log.error("%s: stopping everything", failure)
        code = 1
    except Exception:
        log.exception("could not start: stopping everything")
        code = 1
    finally:
        signal.signal(signal.SIGINT, _log_second_signal)
        signal.signal(signal.SIGTERM, _log_second_signal)
        run.stop_children()
        run.stop_services()
    log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
