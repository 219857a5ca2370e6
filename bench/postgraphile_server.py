"""PostGraphile 5 for the read benchmark (bench/README.md, "PostGraphile"): its install and its command.

bench/postgraphile/ holds package.json and package-lock.json (PostGraphile, pg, and the `node` package from npm,
which brings a Node 22 binary: PostGraphile 5 needs Node >= 22, whatever Node the machine has). The first run
installs them exactly as locked with `npm ci` (any npm does); later runs reuse node_modules until the lock changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from bench.servers import plain_dsn

log = logging.getLogger("bench")

FOLDER = Path(__file__).with_name("postgraphile")
NODE = FOLDER / "node_modules" / ".bin" / "node"
SERVER = FOLDER / "server.mjs"
# Touched after a successful install, as the Makefile marks the JS clients' (tests/clients/js).
INSTALLED = FOLDER / "node_modules" / ".installed"
INSTALL_TIMEOUT_SECONDS = 600


class Unavailable(Exception):
    """PostGraphile cannot run here (no npm, or its install failed): the bench goes on without it."""


def install() -> None:
    lock = FOLDER / "package-lock.json"
    if INSTALLED.exists() and INSTALLED.stat().st_mtime >= max(lock.stat().st_mtime, SERVER.stat().st_mtime):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed (PostGraphile is installed with `npm ci` into bench/postgraphile)")
    log.info("installing PostGraphile into %s (npm ci, once)", FOLDER)
    try:
        subprocess.run(  # noqa: S603 - npm found on PATH, fixed arguments
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=FOLDER,
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as error:
        raise Unavailable(f"npm ci failed: {error.stderr.decode(errors='replace')[-2000:]}") from error
    except subprocess.TimeoutExpired as error:
        raise Unavailable(f"npm ci took more than {INSTALL_TIMEOUT_SECONDS}s") from error
    INSTALLED.touch()


def command() -> list[str]:
    return [str(NODE), str(SERVER)]


def environment(database_url: str, host: str, port: int) -> dict[str, str]:
    """Node's environment: the bench database (the same one the API reads), where to listen."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=plain_dsn(database_url),
        HOST=host,
        PORT=str(port),
        GRAPHILE_ENV="production",  # what a deployment runs (and without it Grafast warns that it assumed this)
    )
    return env
