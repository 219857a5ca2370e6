"""Verify an uploaded LoRA weights file without ever loading it.

Pickle-based formats (`.ckpt`, `.pt`, `.pth`, `.bin`) run arbitrary code when unpickled, so they are only
recognised by their bytes: a PyTorch ZIP checkpoint (a ZIP whose file list names `data.pkl`, read with zipfile's
directory listing only) or a bare pickle stream (its protocol header). Nothing here imports torch or safetensors,
and nothing calls `pickle.load`.

`.safetensors` files are checked fully from their header, which is JSON: every tensor's dtype, shape and data
offsets must agree with each other and tile the data region exactly, as the safetensors reader demands.
Tensor data itself is never read.

Synchronous on purpose: a job runs it with `asyncio.to_thread`.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.archive import ArchiveError, zip_names
from core.storage import format_size

SUPPORTED_EXTENSIONS = ("safetensors", "ckpt", "pt", "pth", "bin")
_SUPPORTED_LIST = ", ".join(f".{extension}" for extension in SUPPORTED_EXTENSIONS[:-1])
_SUPPORTED_HINT = f"use {_SUPPORTED_LIST} or .{SUPPORTED_EXTENSIONS[-1]}"

# Bits per element of every dtype the safetensors format defines (sub-byte types pack several per byte).
_DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "I64": 64,
    "U64": 64,
    "F64": 64,
    "C64": 64,
}

# What LoraInfo.metadata keeps of `__metadata__`: training tools write free text there (tag frequencies can run
# to hundreds of kilobytes), and the result is stored with the entity.
METADATA_MAX_KEYS = 64
_METADATA_MAX_KEY_LENGTH = 128
_METADATA_MAX_VALUE_LENGTH = 1024

# A PyTorch ZIP checkpoint holds one entry per tensor storage, plus a few bookkeeping files.
_CHECKPOINT_MAX_ENTRIES = 10_000
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = 0x80
_PICKLE_PROTOCOLS = range(2, 6)

LoraFormat = Literal["safetensors", "pytorch-zip", "pickle"]


class LoraFileError(ValueError):
    """The file is not LoRA weights we accept; `message` is meant for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class LoraInfo:
    format: LoraFormat
    tensor_count: int | None  # None when the format cannot be read safely
    dtypes: tuple[str, ...]  # sorted, unique; empty when unknown
    parameter_count: int | None
    metadata: dict[str, str] = field(hash=False)  # the safetensors `__metadata__`, capped; empty otherwise
    size_bytes: int


def check_extension(filename: str) -> str:
    """The lowercase extension of an accepted LoRA file name (without the dot), else `LoraFileError`."""
    _, dot, extension = filename.rpartition(".")
    if not dot or not extension:
        raise LoraFileError(f"unsupported LoRA format: the file name has no extension ({_SUPPORTED_HINT})")
    extension = extension.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension if len(extension) <= 16 else extension[:16] + "…"
        raise LoraFileError(f"unsupported LoRA format: .{shown} ({_SUPPORTED_HINT})")
    return extension


def inspect_lora(path: Path, *, extension: str, max_header_bytes: int = 100 * 1024 * 1024 // 10) -> LoraInfo:
    """Check the file at `path` against the format its `extension` names (see `check_extension`).

    Raises `LoraFileError` with a reason a person can act on when the bytes are not that format.
    """
    extension = extension.lower().lstrip(".")
    if extension not in SUPPORTED_EXTENSIONS:
        raise LoraFileError(f"unsupported LoRA format: .{extension} ({_SUPPORTED_HINT})")
    if extension == "safetensors":
        return _inspect_safetensors(path, max_header_bytes)
    return _inspect_pytorch(path)


# --- safetensors ---------------------------------------------------------------------------------------------------


def _inspect_safetensors(path: Path, max_header_bytes: int) -> LoraInfo:
    with path.open("rb") as file:
        file_size = path.stat().st_size
        prefix = file.read(8)
        if len(prefix) < 8:
            raise LoraFileError("not a safetensors file: it is shorter than the 8-byte header length")
        (header_length,) = struct.unpack("<Q", prefix)
        if header_length == 0:
            raise LoraFileError("not a safetensors file: header length is 0")
        if header_length > max_header_bytes:
            raise LoraFileError(
                f"not a safetensors file: header length {header_length} is over the "
                f"{format_size(max_header_bytes)} limit"
            )
        if header_length > file_size - 8:
            raise LoraFileError(
                f"not a safetensors file: header length {header_length} points past the end of the file "
                f"({file_size} bytes)"
            )
        raw_header = file.read(header_length)
    data_length = file_size - 8 - header_length
    header = _parse_header(raw_header)
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(value, str) for value in metadata.values())
    ):
        raise _invalid("__metadata__ must map strings to strings")
    if not header:
        raise _invalid("it holds no tensors")

    spans: list[tuple[int, int, str]] = []
    dtypes: set[str] = set()
    parameter_count = 0
    for name, tensor in header.items():
        begin, end, elements = _check_tensor(name, tensor, data_length)
        spans.append((begin, end, name))
        dtypes.add(tensor["dtype"])
        parameter_count += elements
    _check_coverage(spans, data_length)

    return LoraInfo(
        format="safetensors",
        tensor_count=len(spans),
        dtypes=tuple(sorted(dtypes)),
        parameter_count=parameter_count,
        metadata=_cap_metadata(metadata or {}),
        size_bytes=file_size,
    )


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("not UTF-8 text") from None
    try:
        header = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKeyError as error:
        raise _invalid(f"the key {_shorten(error.key)} appears twice") from None
    except ValueError as error:
        raise _invalid("not valid JSON") from error
    except RecursionError:
        raise _invalid("JSON nested too deeply") from None
    if not isinstance(header, dict):
        raise _invalid("not a JSON object")
    return header


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # json.loads would silently keep the last; a reader that keeps the first would see another model.
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _check_tensor(name: str, tensor: Any, data_length: int) -> tuple[int, int, int]:
    """(begin, end, element count) of one tensor entry, after checking it agrees with itself and the file."""
    label = _shorten(name)
    if not isinstance(tensor, dict):
        raise _invalid(f"tensor {label} is not an object")
    dtype, shape, offsets = tensor.get("dtype"), tensor.get("shape"), tensor.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _DTYPE_BITS:
        raise _invalid(f"tensor {label} has an unknown dtype {_shorten(str(dtype))}")
    if not isinstance(shape, list) or not all(_is_natural(size) for size in shape):
        raise _invalid(f"tensor {label} has an invalid shape (a list of non-negative integers is expected)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_natural(offset) for offset in offsets)):
        raise _invalid(f"tensor {label} has invalid data_offsets (two non-negative integers are expected)")
    begin, end = offsets
    if begin > end:
        raise _invalid(f"tensor {label} ends before it begins")
    if end > data_length:
        raise _invalid(f"tensor {label} runs past the end of the file (truncated?)")
    elements = math.prod(shape)
    bits = elements * _DTYPE_BITS[dtype]
    if bits % 8:
        raise _invalid(f"tensor {label} does not fill a whole number of bytes")
    if end - begin != bits // 8:
        raise _invalid(f"tensor {label} takes {end - begin} bytes but its dtype and shape need {bits // 8}")
    return begin, end, elements


def _check_coverage(spans: list[tuple[int, int, str]], data_length: int) -> None:
    """The tensors must tile the data region: no overlap, no gap, nothing after the last one."""
    position = 0
    for begin, end, name in sorted(spans):
        if begin < position:
            raise _invalid(f"tensor {_shorten(name)} overlaps another tensor")
        if begin > position:
            raise _invalid(f"{begin - position} bytes before tensor {_shorten(name)} belong to no tensor")
        position = end
    if position != data_length:
        raise _invalid(f"the last {data_length - position} bytes of the file belong to no tensor")


def _cap_metadata(metadata: dict[str, str]) -> dict[str, str]:
    kept = sorted(metadata.items())[:METADATA_MAX_KEYS]
    return {key[:_METADATA_MAX_KEY_LENGTH]: value[:_METADATA_MAX_VALUE_LENGTH] for key, value in kept}


def _is_natural(value: Any) -> bool:
    # bool is an int in Python, and `true` is not a size.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shorten(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _invalid(reason: str) -> LoraFileError:
    return LoraFileError(f"invalid safetensors header: {reason}")


# --- pickle-based formats, by magic bytes only ----------------------------------------------------------------------


def _inspect_pytorch(path: Path) -> LoraInfo:
    with path.open("rb") as file:
        head = file.read(4)
    size = path.stat().st_size
    if head == _ZIP_MAGIC:
        try:
            names = zip_names(path, max_entries=_CHECKPOINT_MAX_ENTRIES)
        except ArchiveError as error:
            raise LoraFileError(f"not a PyTorch checkpoint: {error.message}") from error
        if not any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
            raise LoraFileError("not a PyTorch checkpoint: a ZIP archive without data.pkl")
        return _opaque("pytorch-zip", size)
    if len(head) >= 2 and head[0] == _PICKLE_PROTO and head[1] in _PICKLE_PROTOCOLS:
        return _opaque("pickle", size)
    raise LoraFileError("not a PyTorch checkpoint: neither a PyTorch ZIP archive nor a pickle stream")


def _opaque(format: LoraFormat, size: int) -> LoraInfo:
    return LoraInfo(format=format, tensor_count=None, dtypes=(), parameter_count=None, metadata={}, size_bytes=size)
