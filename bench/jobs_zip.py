"""ZIP ingest throughput: 200 JPEGs of 1024x1536 uploaded through `uploadSubjectBaseImagesZip` and ingested by
the worker process, against a bare loop over the same files in the bench process; and the worker's memory.

The archive: 11 images named after the 11 default shot types at its root (each becomes a base image) and 189
under `portfolio/` (each becomes a portfolio image): only 11 shot types exist and a base image replaces the
previous one of its shot type, so a ZIP of 200 shot-type images would leave 11. Either way every image takes the
full media path (stage out of the ZIP, inspect: identify, verify, decode, dominant colour; content address; row).
Stored with DEFLATE, as common zip tools do.

The images differ (a gradient and a noise texture that vary with the index, the index written in), so none
deduplicates, and they weigh what photographs of that size do (0.45-0.7 MB each at JPEG quality 90, 116 MB in all).

- job images/s: items / (completedAt - startedAt), both read from the task row.
- bare images/s: for each file, read it, sha256, Pillow open + verify, reopen + load (full decode), in one
  thread of the bench process; run once before and once after the job (the machine is shared: the mean of the
  two brackets the job's moment), same files.
- worker memory: its resident size before the upload (idle, after start-up), the peak sampled every 10 ms
  during the job, and VmHWM (its peak since it started: before this job it only ran its start-up cron jobs and
  the LoRA check, which reads a header).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import signal
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from PIL import Image, ImageChops, ImageDraw, ImageFont

from bench import profile
from bench.jobs_stack import BenchError, Memory, PeakSampler, Stack, create_subject, graphql, memory, upload
from bench.load import process_cpu_seconds
from db.models.enums import DefaultShotTypes

log = logging.getLogger("bench")

IMAGE_COUNT = 200
WIDTH, HEIGHT = 1024, 1536
JPEG_QUALITY = 90
_NOISE_LAYERS = 8
_POLL_SECONDS = 0.2
JOB_TIMEOUT_SECONDS = 240.0

UPLOAD_ZIP = """mutation($file: Upload!, $subjectId: UUID) {
  uploadSubjectBaseImagesZip(file: $file, subjectId: $subjectId) { id status } }"""
TASK = """query($id: UUID!) { subjectUploadTask(taskId: $id) {
  status totalItems processedItems imagesProcessed portfolioImagesProcessed imagesSkipped errorMessage } }"""


@dataclass(frozen=True)
class ZipResult:
    images: int
    archive_bytes: int
    upload_seconds: float  # the mutation's round trip (stream, stage, check, commit, enqueue)
    job_seconds: float  # completedAt - startedAt
    bare_per_second: tuple[float, float]  # before and after the job
    worker_idle: int  # bytes
    worker_peak: int
    worker_hwm: int
    samples: int
    worker_cpu_seconds: float  # the worker's CPU time from the upload to the end of the job
    wall_seconds: float  # the same span

    @property
    def job_per_second(self) -> float:
        return self.images / self.job_seconds

    @property
    def bare_mean_per_second(self) -> float:
        return sum(self.bare_per_second) / len(self.bare_per_second)

    @property
    def ratio(self) -> float:
        return self.job_per_second / self.bare_mean_per_second


# --- the files -------------------------------------------------------------------------------------------------------


def write_images(folder: Path, count: int = IMAGE_COUNT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    noise = [Image.effect_noise((WIDTH, HEIGHT), 24 + 4 * layer) for layer in range(_NOISE_LAYERS)]
    font = ImageFont.load_default(size=160)
    paths = []
    for index in range(count):
        hue = (index * 37) % 256
        ramp = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).rotate(index % 4 * 90, expand=False)
        red = ramp.point(lambda value, shift=hue: (value + shift) % 256)
        green = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        blue = Image.new("L", (WIDTH, HEIGHT), (hue * 3) % 256)
        image = Image.merge("RGB", (red, green, blue))
        texture = noise[index % _NOISE_LAYERS].convert("RGB")
        image = ImageChops.soft_light(image, texture)
        ImageDraw.Draw(image).text((80, 80), f"#{index:03}", fill=(255, 255, 255), font=font)
        path = folder / f"{index:03}.jpg"
        image.save(path, "JPEG", quality=JPEG_QUALITY)
        paths.append(path)
    return paths


def write_zip(paths: list[Path], target: Path) -> int:
    """11 shot-type images at the root, the rest under portfolio/; answers the archive's size."""
    shot_types = [member.value for member in DefaultShotTypes]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, path in enumerate(paths):
            name = f"{shot_types[index]}.jpg" if index < len(shot_types) else f"portfolio/look-{index:03}.jpg"
            archive.write(path, name)
    return target.stat().st_size


def cover_uri(path: Path) -> str:
    with Image.open(path) as image:
        buffer = io.BytesIO()
        image.resize((64, 96)).save(buffer, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- the bare loop ---------------------------------------------------------------------------------------------------


def bare_loop(paths: list[Path]) -> float:
    """Images per second for the least any ingest must do with each file: read, hash, verify, decode."""
    started = time.perf_counter()
    for path in paths:
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    return len(paths) / (time.perf_counter() - started)


# --- the job ---------------------------------------------------------------------------------------------------------


async def wait_for_task(client: httpx.AsyncClient, task_id: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        task: dict[str, Any] = (await graphql(client, TASK, {"id": task_id}))["subjectUploadTask"]
        if task["status"] in ("COMPLETED", "FAILED"):
            return task
        await asyncio.sleep(_POLL_SECONDS)
    raise BenchError(f"task {task_id} did not finish within {within}s")


async def task_times(dsn: str, task_id: str) -> float:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT started_at, completed_at FROM subject_base_images_upload_tasks WHERE id = $1", uuid.UUID(task_id)
        )
    finally:
        await connection.close()
    if row is None or row["started_at"] is None or row["completed_at"] is None:
        raise BenchError(f"task {task_id} has no startedAt/completedAt")
    return float((row["completed_at"] - row["started_at"]).total_seconds())


def _start_profile(pid: int, prefix: Path | None) -> profile.Recorder | None:
    if prefix is None:
        return None
    # Recorded until the job ends (SIGINT makes py-spy stop and write its file); idle threads are not sampled.
    return profile.start(pid, prefix, seconds=JOB_TIMEOUT_SECONDS)


def _finish_profile(recorder: profile.Recorder | None) -> None:
    if recorder is None:
        return
    recorder.process.send_signal(signal.SIGINT)
    print(profile.finish(recorder), flush=True)


async def measure_zip(stack: Stack, *, profile_to: Path | None = None) -> ZipResult:
    """`profile_to`: also record the worker with py-spy during the job (bench/profile.py) into that file."""
    if stack.worker is None:
        raise BenchError("the ZIP measurement needs the worker")
    folder = stack.work_dir / "zip"
    started = time.monotonic()
    paths = await asyncio.to_thread(write_images, folder / "images")
    archive = folder / "images.zip"
    size = await asyncio.to_thread(write_zip, paths, archive)
    made = time.monotonic() - started
    log.info("zip: %d JPEGs %dx%d, archive %.1f MB, made in %.1fs", len(paths), WIDTH, HEIGHT, size / 2**20, made)

    bare_before = await asyncio.to_thread(bare_loop, paths)
    log.info("zip: bare loop %.1f images/s", bare_before)
    worker_pid = stack.worker.pid
    async with stack.client() as client:
        subject_id = await create_subject(client, "Bench ZIP subject", cover_uri(paths[0]))
        idle: Memory = memory(worker_pid)
        recorder = _start_profile(worker_pid, profile_to)
        with PeakSampler([worker_pid]) as sampler:
            cpu_before = process_cpu_seconds(worker_pid)
            sent = time.monotonic()
            with archive.open("rb") as file:
                variables = {"subjectId": subject_id}
                data = await upload(
                    client, UPLOAD_ZIP, variables, file, filename="images.zip", content_type="application/zip"
                )
            upload_seconds = time.monotonic() - sent
            task_id = data["uploadSubjectBaseImagesZip"]["id"]
            task = await wait_for_task(client, task_id, JOB_TIMEOUT_SECONDS)
            cpu_seconds, wall_seconds = process_cpu_seconds(worker_pid) - cpu_before, time.monotonic() - sent
        _finish_profile(recorder)
    if task["status"] != "COMPLETED" or task["processedItems"] != len(paths) or task["imagesSkipped"]:
        raise BenchError(f"the ZIP task ended {task}")
    job_seconds = await task_times(stack.dsn, task_id)
    after = memory(worker_pid)
    bare_after = await asyncio.to_thread(bare_loop, paths)
    log.info("zip: job %.1f images/s; bare loop again %.1f images/s", len(paths) / job_seconds, bare_after)
    return ZipResult(
        images=len(paths),
        archive_bytes=size,
        upload_seconds=upload_seconds,
        job_seconds=job_seconds,
        bare_per_second=(bare_before, bare_after),
        worker_idle=idle.rss,
        worker_peak=max(sampler.peak[worker_pid], after.rss),
        worker_hwm=after.hwm,
        samples=sampler.samples,
        worker_cpu_seconds=cpu_seconds,
        wall_seconds=wall_seconds,
    )
