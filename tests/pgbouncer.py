"""A real PgBouncer in transaction mode on 127.0.0.1 in front of the test session's PostgreSQL.

Debian's `pgbouncer` package (1.18 on bookworm); `make test` installs it (scripts/install_debian_package.sh). It
runs in the foreground from a generated ini, on a free port, and stops with the test. PgBouncer refuses to run as
root: as root it is started with `-u nobody`, having read its ini (kept in the test's own folder) first.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from core.embedded import free_port
from tests.server_process import listening, stopped_at_exit, wait_until_ready

HOST = "127.0.0.1"
# Where Debian puts it: /usr/sbin is not on every user's PATH.
DEBIAN_BINARY = "/usr/sbin/pgbouncer"
_START_TIMEOUT_SECONDS = 15.0


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return DEBIAN_BINARY if os.access(DEBIAN_BINARY, os.X_OK) else None


@dataclass(frozen=True)
class PgBouncer:
    port: int
    log_path: Path

    def url(self, database_url: str) -> str:
        """`database_url` (same user, password and database) through this PgBouncer."""
        return make_url(database_url).set(host=HOST, port=self.port).render_as_string(hide_password=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@contextmanager
def serve_pgbouncer(database_url: str, folder: Path, *, server_connections: int) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode for `database_url`'s server, with at most `server_connections` server
    connections per database and user: fewer than its clients, so that clients really take turns on them."""
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed")
    upstream = make_url(database_url)
    port = free_port(HOST)
    auth_file = folder / "userlist.txt"
    # trust: PgBouncer asks the client nothing, but logs in to PostgreSQL with the password listed here (if any).
    auth_file.write_text(f'"{upstream.username}" "{upstream.password or ""}"\n')
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host={upstream.host or HOST} port={upstream.port or 5432}",
                "[pgbouncer]",
                f"listen_addr = {HOST}",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {auth_file}",
                "pool_mode = transaction",
                f"default_pool_size = {server_connections}",
                "max_client_conn = 200",
                "",
            ]
        )
    )
    log_path = folder / "pgbouncer.log"
    command = [binary, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(ini)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - fixed arguments
    bouncer = PgBouncer(port=port, log_path=log_path)
    with stopped_at_exit(process):
        try:
            wait_until_ready(process, functools.partial(listening, HOST, port), "pgbouncer", _START_TIMEOUT_SECONDS)
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{bouncer.log()}") from None
        yield bouncer
