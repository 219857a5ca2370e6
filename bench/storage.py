"""Memory and time of streaming large files through the storage interface: `python -m bench.storage`.

For a LoRA-sized (100 MB) and a ZIP-sized (1 GB) file, each step runs in a process of its own, whose peak RSS is
read from the kernel when it exits (`wait4`'s ru_maxrss, exact, no sampling):
    up          stage (chunks hashed into a temp file, as an upload arrives) + commit (streamed to the bucket)
    local_copy  the object streamed down to a temp file, as the ZIP job and the LoRA check read it
    /media      the object served by the `/media` route under uvicorn, read by an HTTP client in this process
plus `idle`: the same process having imported and opened everything, moving no bytes. Against moto's S3 server
on 127.0.0.1 (started here, as the tests start it), and the local folder backend for comparison. Needs ~3 GB of
free disk under the temp folder (staged file, moto's copy, the local copy).

    .venv/bin/python -m bench.storage                   # both sizes, both backends (~2 min)
    .venv/bin/python -m bench.storage --sizes-mb 100    # only the LoRA size
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from bench.process import start_bench_process
from core.embedded import free_port
from core.settings import Settings
from core.storage import CHUNK_SIZE, media_route
from core.storage_backends import open_storage
from tests.s3_server import serve_s3

MB = 1024 * 1024
HOST = "127.0.0.1"
STEPS = ("idle", "up", "local_copy", "/media")


def content(size: int) -> Iterator[bytes]:
    """`size` bytes of incompressible content in upload-sized pieces, made as they are needed (never held)."""
    block = hashlib.sha256(b"bench.storage").digest() * (CHUNK_SIZE // 32)
    for index, start in enumerate(range(0, size, CHUNK_SIZE)):
        piece = index.to_bytes(8, "big") + block[8:]
        yield piece[: min(CHUNK_SIZE, size - start)]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for piece in content(size):
        yield piece


# --- the measured processes ---------------------------------------------------------------------------------------


async def _child(step: str, size: int, key: str, port: int) -> dict[str, object]:
    storage = open_storage(Settings())
    started = time.perf_counter()
    if step == "up":
        staged = await storage.stage(_chunks(size), max_bytes=size)
        key = await storage.commit(staged, extension="bin")
    elif step == "local_copy":
        async with storage.local_copy(key) as path:
            copied = path.stat().st_size
        assert copied == size, (copied, size)
    elif step == "/media":
        app = Starlette(routes=[media_route(storage)])
        await uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning")).serve()
    return {"key": key, "seconds": time.perf_counter() - started}


def _run_child(arguments: argparse.Namespace) -> None:
    result = asyncio.run(_child(arguments.child, arguments.size, arguments.key, arguments.port))
    print(json.dumps(result), flush=True)


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    key: str


def _measure(step: str, size: int, key: str, env: dict[str, str]) -> Measured:
    port = free_port(HOST)
    command = [sys.executable, "-m", "bench.storage", "--child", step, "--size", str(size), "--key", key]
    process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.PIPE)  # noqa: S603
    if step == "/media":
        seconds = _download(f"http://{HOST}:{port}/media/" + key.removeprefix("media/"), size)
        process.send_signal(signal.SIGTERM)  # uvicorn stops gracefully, then ends by the signal it caught
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM):
            raise RuntimeError(f"the /media server ended with {os.waitstatus_to_exitcode(status)}")
        return Measured(seconds, usage.ru_maxrss / 1024, key)
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{step} of {size} bytes failed: {output}")
    answer = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in KiB on Linux.
    return Measured(answer["seconds"], usage.ru_maxrss / 1024, answer["key"])


def _download(url: str, size: int) -> float:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.head(url, timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    started = time.perf_counter()
    received = 0
    with httpx.stream("GET", url, timeout=60) as response:
        response.raise_for_status()
        for piece in response.iter_raw():
            received += len(piece)
    assert received == size, (received, size)
    return time.perf_counter() - started


# --- the run ------------------------------------------------------------------------------------------------------


def _rows(backend: str, env: dict[str, str], sizes: list[int]) -> list[tuple[str, str, str, Measured]]:
    rows = []
    for size in sizes:
        key = ""
        for step in STEPS:
            measured = _measure(step, size, key, env)
            key = measured.key if step == "up" else key
            rows.append((backend, f"{size // MB} MB", step, measured))
            logging.info(
                "%s, %d MB, %s: %.2f s, peak RSS %.0f MB",
                backend,
                size // MB,
                step,
                measured.seconds,
                measured.peak_rss_mb,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--key", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _run_child(arguments)
        return
    start_bench_process()
    sizes = [size_mb * MB for size_mb in arguments.sizes_mb]
    base = {name: value for name, value in os.environ.items() if not name.startswith(("STORAGE_", "S3_", "AWS_"))}
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as work, serve_s3() as server:
        local = {**base, "DATA_DIR": f"{work}/local-data", "STORAGE_DIR": f"{work}/local-storage"}
        bucket = {**base, **server.environment(server.create_bucket(), "bench"), "DATA_DIR": f"{work}/s3-data"}
        rows = _rows("s3 (moto)", bucket, sizes) + _rows("local folder", local, sizes)
        leftovers = [str(path) for path in Path(work, "s3-data").rglob("*") if path.is_file()]
    print(f"\n{'backend':<14} {'file':>8} {'step':<11} {'seconds':>8} {'MB/s':>7} {'peak RSS':>9}")
    for backend, label, step, measured in rows:
        size = int(label.split()[0]) * MB
        # idle moves nothing; local_copy on a folder copies nothing (the stored file is the copy).
        rate = f"{size / MB / measured.seconds:7.0f}" if measured.seconds >= 0.01 else f"{'-':>7}"
        print(f"{backend:<14} {label:>8} {step:<11} {measured.seconds:8.2f} {rate} {measured.peak_rss_mb:6.0f} MB")
    print(f"\nfiles left in the S3 process's DATA_DIR afterwards: {len(leftovers)}")


if __name__ == "__main__":
    main()
