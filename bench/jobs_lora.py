"""The API's memory while it receives a 100 MB LoRA upload through `uploadSubjectLora`.

The file is a valid .safetensors file of exactly `lora_max_bytes` (100 MiB, the largest accepted): an 8-byte
length, a JSON header describing F16 tensors of a rank-16 LoRA's shapes that tile the data region exactly (space
padded, as the format allows), and zero data, written as a sparse file. It is sent as a GraphQL multipart request
by httpx from the open file (streamed in 64 KB chunks), so the bench does not hold it either.

Measured: the API's resident size just before the request and its peak sampled every 10 ms until the answer,
with VmHWM before and after as a cross-check (VmHWM only moves when a new all-time peak is set). The API is warmed
first by a 1 KB upload to another subject, so first-use costs (imports, code paths) are not counted as the
upload's. The worker then checks the file: the run also waits for `ready`, which proves the upload was whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.jobs_stack import BenchError, PeakSampler, Stack, create_subject, graphql, memory, upload
from core.settings import get_settings

log = logging.getLogger("bench")

UPLOAD = """mutation($id: UUID!, $file: Upload!, $trigger: String!) {
  uploadSubjectLora(subjectId: $id, file: $file, loraTrigger: $trigger) { id loraStatus } }"""
STATUS = "query($id: UUID!) { adminSubject(id: $id) { loraStatus loraError loraInfo { tensorCount sizeBytes } } }"
READY_TIMEOUT_SECONDS = 120.0
# A rank-16 LoRA of a 3072-wide model: down and up projections of 16 x 3072, F16.
_RANK, _WIDTH, _F16 = 16, 3072, 2
# Bytes reserved for the JSON header (about 100 bytes per tensor), padded with spaces.
HEADER_ROOM = 256 * 1024


@dataclass(frozen=True)
class LoraResult:
    size: int
    upload_seconds: float
    api_before: int  # resident bytes just before the request
    api_peak: int  # sampled peak during the request
    hwm_before: int
    hwm_after: int
    client_growth: int  # the bench process's own peak growth (it streams, so this stays small)
    status: str
    tensors: int

    @property
    def growth(self) -> int:
        sampled = self.api_peak - self.api_before
        # VmHWM is exact but only informative when this request set a new all-time peak.
        exact = self.hwm_after - self.api_before if self.hwm_after > self.hwm_before else 0
        return max(sampled, exact)


def write_safetensors(path: Path, size: int) -> int:
    """A well-formed safetensors file of exactly `size` bytes; answers its tensor count."""
    tensor_bytes = _RANK * _WIDTH * _F16
    header_room = HEADER_ROOM
    count = (size - 8 - header_room) // tensor_bytes
    data_length = size - 8 - header_room
    header: dict[str, object] = {"__metadata__": {"ss_network_dim": str(_RANK), "bench": "zero weights"}}
    offset = 0
    for index in range(count):
        kind = "lora_down" if index % 2 == 0 else "lora_up"
        shape = [_RANK, _WIDTH] if kind == "lora_down" else [_WIDTH, _RANK]
        header[f"lora_unet_block_{index // 2}.{kind}.weight"] = {
            "dtype": "F16",
            "shape": shape,
            "data_offsets": [offset, offset + tensor_bytes],
        }
        offset += tensor_bytes
    # The rest of the data region: one flat tensor, so the tensors tile it exactly.
    rest = data_length - offset
    if rest % _F16:
        raise ValueError("the data region must hold whole F16 values")
    if rest:
        count += 1
        header["lora_unet_rest.alpha"] = {
            "dtype": "F16",
            "shape": [rest // _F16],
            "data_offsets": [offset, offset + rest],
        }
    raw = json.dumps(header).encode()
    if len(raw) > header_room:
        raise ValueError("header larger than its room")
    raw += b" " * (header_room - len(raw))
    with path.open("wb") as file:
        file.write(struct.pack("<Q", len(raw)))
        file.write(raw)
        file.truncate(size)  # zeros, without writing them
    return count


async def _wait_ready(client: httpx.AsyncClient, subject_id: str) -> dict[str, object]:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        subject: dict[str, object] = (await graphql(client, STATUS, {"id": subject_id}))["adminSubject"]
        if subject["loraStatus"] != "processing":
            return subject
        await asyncio.sleep(0.2)
    raise BenchError(f"the LoRA of subject {subject_id} was still processing after {READY_TIMEOUT_SECONDS}s")


async def _send(client: httpx.AsyncClient, subject_id: str, path: Path) -> None:
    with path.open("rb") as file:
        await upload(
            client,
            UPLOAD,
            {"id": subject_id, "trigger": "ohwx person"},
            file,
            filename=path.name,
            content_type="application/octet-stream",
        )


async def measure_lora(stack: Stack, cover_uri: str) -> LoraResult:
    size = get_settings().lora_max_bytes
    folder = stack.work_dir / "lora"
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "weights.safetensors"
    tensors = await asyncio.to_thread(write_safetensors, weights, size)
    small = folder / "warm-up.safetensors"
    await asyncio.to_thread(write_safetensors, small, 8 + HEADER_ROOM + _RANK * _WIDTH * _F16 * 2)
    api = stack.api.pid
    async with stack.client() as client:
        warm_up = await create_subject(client, "Bench LoRA warm-up", cover_uri)
        subject_id = await create_subject(client, "Bench LoRA subject", cover_uri)
        await _send(client, warm_up, small)
        await asyncio.sleep(0.5)  # let the warm-up's buffers go before the baseline reading
        hwm_before = memory(api).hwm
        with PeakSampler([api, os.getpid()]) as sampler:
            sent = time.monotonic()
            await _send(client, subject_id, weights)
            upload_seconds = time.monotonic() - sent
        hwm_after = memory(api).hwm
        subject = await _wait_ready(client, subject_id)
    if subject["loraStatus"] != "ready":
        raise BenchError(f"the 100 MB LoRA ended {subject}")
    info = subject["loraInfo"]
    assert isinstance(info, dict)
    log.info(
        "lora: %.0f MB in %.1fs; API +%.1f MB (sampled %d times); ready with %s tensors",
        size / 2**20,
        upload_seconds,
        (sampler.peak[api] - sampler.start[api]) / 2**20,
        sampler.samples,
        info["tensorCount"],
    )
    if info["tensorCount"] != tensors or info["sizeBytes"] != size:
        raise BenchError(f"the worker read another file than was sent: {info}")
    return LoraResult(
        size=size,
        upload_seconds=upload_seconds,
        api_before=sampler.start[api],
        api_peak=sampler.peak[api],
        hwm_before=hwm_before,
        hwm_after=hwm_after,
        client_growth=sampler.growth(os.getpid()),
        status=str(subject["loraStatus"]),
        tensors=tensors,
    )
