"""Running the JS client scripts under tests/clients/js with the machine's Node.js, as asyncio subprocesses (the
event loop that serves the live server keeps running while they talk to it), every wait bounded."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
# apollo-upload-client 19 (the Apollo Client 4 one that still runs on Node 20) wants at least this.
NODE_MINIMUM = (20, 9)
INSTALL_HINT = (
    "`make test` installs them (it runs `npm ci` in tests/clients/js when package.json or package-lock.json changes); "
    "by hand: `cd tests/clients/js && npm ci --no-audit --no-fund`"
)


@functools.cache
def node_executable() -> str:
    """The `node` to run the scripts with, once its version and the locked packages are checked.

    A missing piece fails the test (never skips it): `make test` guarantees them, so a skip would hide a broken
    setup and let a release that breaks the frontend's clients pass. Called by each test rather than by a fixture,
    so that it shows as the test's failure, not as an error in setting it up.
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js (`node`) is not on the PATH; the JS client tests need Node.js >= 20.9. {INSTALL_HINT}")
    version = subprocess.run(  # noqa: S603 - the PATH's node, fixed arguments, no shell
        [node, "--version"], capture_output=True, text=True, timeout=20, check=True
    ).stdout
    found = re.match(r"v(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < NODE_MINIMUM:
        pytest.fail(f"Node.js {version.strip()} is too old for the JS client tests (they need >= 20.9)")
    if not (JS_DIR / "node_modules").is_dir():
        pytest.fail(f"tests/clients/js/node_modules is missing: the JS clients are not installed. {INSTALL_HINT}")
    manifest_of_the_tests = json.loads((JS_DIR / "package.json").read_text())
    # The clients, and the tools the typed-client test runs (GraphQL Code Generator, TypeScript).
    pinned: dict[str, str] = {**manifest_of_the_tests["dependencies"], **manifest_of_the_tests["devDependencies"]}
    wrong = []
    for name, version_wanted in pinned.items():
        manifest = JS_DIR / "node_modules" / name / "package.json"
        installed = json.loads(manifest.read_text())["version"] if manifest.is_file() else "missing"
        if installed != version_wanted:
            wrong.append(f"{name} {installed} (package.json pins {version_wanted})")
    if wrong:
        pytest.fail(f"tests/clients/js/node_modules is not what package-lock.json locks: {wrong}. {INSTALL_HINT}")
    return node


@dataclass
class NodeScript:
    """One running script: `line()` answers each JSON line it prints, `finished()` checks it exited cleanly."""

    name: str
    process: asyncio.subprocess.Process
    stderr: asyncio.Task[bytes]
    lines: list[dict[str, Any]] = field(default_factory=list)

    async def line(self, within: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        except TimeoutError:
            pytest.fail(f"{self.name} printed nothing more within {within}s; so far: {self.lines}")
        if not raw:
            await self.finished(within)  # it ended without its next line: fail with what it said
            pytest.fail(f"{self.name} exited cleanly without printing its result; so far: {self.lines}")
        value: dict[str, Any] = json.loads(raw)
        self.lines.append(value)
        return value

    async def finished(self, within: float) -> None:
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            pytest.fail(f"{self.name} did not exit within {within}s after its result")
        if code != 0:
            message = (await asyncio.wait_for(self.stderr, within)).decode(errors="replace").strip()
            pytest.fail(f"{self.name} failed (exit code {code}):\n{message}")


@asynccontextmanager
async def node_script(node: str, script: str, *args: str, env: dict[str, str]) -> AsyncIterator[NodeScript]:
    """`node script args...` in tests/clients/js with `env` added to the environment; killed if still running at
    the end (a failed or hung test leaves no process behind)."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS_DIR / script),
        *args,
        cwd=JS_DIR,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    # Read stderr all along, so that a chatty script can never block on a full pipe.
    stderr = asyncio.ensure_future(process.stderr.read())
    try:
        yield NodeScript(name=script, process=process, stderr=stderr)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        with suppress(Exception):
            await asyncio.wait_for(stderr, 5)


async def run_script(node: str, script: str, *args: str, env: dict[str, str], within: float) -> dict[str, Any]:
    """Run a script that prints one JSON summary; answers it once the script has exited cleanly."""
    async with node_script(node, script, *args, env=env) as running:
        summary = await running.line(within)
        await running.finished(within)
        return summary
