"""Verifying LoRA files from their bytes alone: safetensors written by hand, PyTorch look-alikes, hostile pickles."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from core.lora import SUPPORTED_EXTENSIONS, LoraFileError, LoraInfo, check_extension, inspect_lora

REPO_ROOT = Path(__file__).resolve().parents[2]
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1, "BOOL": 1, "F8_E4M3": 1}


def safetensors_bytes(header: Any, data_length: int, *, pad: bool = True) -> bytes:
    """A safetensors file: 8-byte little-endian header length, the header, then `data_length` zero bytes.

    `header` is JSON-encoded unless it is already bytes. Like the real writer, the header is padded with spaces
    to a multiple of 8 bytes.
    """
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(data_length)


def tensors_header(
    tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None
) -> tuple[dict[str, Any], int]:
    """A consistent header for `tensors` (name -> (dtype, shape)), laid out one after the other; and its data size."""
    header: dict[str, Any] = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for size in shape:
            count *= size
        length = count * DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + length]}
        offset += length
    return header, offset


LORA_TENSORS = {
    "lora_unet_down.lora_down.weight": ("F16", [4, 32]),
    "lora_unet_down.lora_up.weight": ("F16", [32, 4]),
    "lora_unet_down.alpha": ("F32", []),
    "lora_te_mask": ("BOOL", [0]),
}


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def refusal(path: Path, extension: str, **options: Any) -> str:
    with pytest.raises(LoraFileError) as refused:
        inspect_lora(path, extension=extension, **options)
    return refused.value.message


# --- extensions ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "extension"),
    [("ava.safetensors", "safetensors"), ("AVA.SafeTensors", "safetensors"), ("v1.2.ckpt", "ckpt"), ("w.pt", "pt")],
)
def test_supported_extensions_are_recognised(filename: str, extension: str) -> None:
    assert check_extension(filename) == extension
    assert extension in SUPPORTED_EXTENSIONS


def test_other_extensions_are_refused_with_the_list_of_accepted_ones() -> None:
    with pytest.raises(LoraFileError) as refused:
        check_extension("weights.xyz")
    assert refused.value.message == "unsupported LoRA format: .xyz (use .safetensors, .ckpt, .pt, .pth or .bin)"

    with pytest.raises(LoraFileError) as refused:
        check_extension("weights")
    assert refused.value.message == (
        "unsupported LoRA format: the file name has no extension (use .safetensors, .ckpt, .pt, .pth or .bin)"
    )


def test_inspecting_with_an_unsupported_extension_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "w.gguf", b"GGUF")

    assert refusal(path, "gguf") == "unsupported LoRA format: .gguf (use .safetensors, .ckpt, .pt, .pth or .bin)"


# --- safetensors ---------------------------------------------------------------------------------------------------


def test_a_valid_safetensors_file_is_described(tmp_path: Path) -> None:
    metadata = {"ss_output_name": "ava", "ss_network_dim": "4"}
    header, data_length = tensors_header(LORA_TENSORS, metadata)
    path = write(tmp_path, "ava.safetensors", safetensors_bytes(header, data_length))

    info = inspect_lora(path, extension="safetensors")

    assert info == LoraInfo(
        format="safetensors",
        tensor_count=4,
        dtypes=("BOOL", "F16", "F32"),
        parameter_count=4 * 32 + 32 * 4 + 1 + 0,
        metadata=metadata,
        size_bytes=path.stat().st_size,
    )


def test_metadata_is_optional_and_the_tensor_order_in_the_header_does_not_matter(tmp_path: Path) -> None:
    header, data_length = tensors_header(LORA_TENSORS)
    reordered = dict(reversed(list(header.items())))
    path = write(tmp_path, "plain.safetensors", safetensors_bytes(reordered, data_length, pad=False))

    info = inspect_lora(path, extension=".SAFETENSORS")

    assert (info.tensor_count, info.metadata) == (4, {})


def test_long_metadata_is_capped(tmp_path: Path) -> None:
    metadata = {f"key{index:03}": "v" * 5000 for index in range(200)}
    header, data_length = tensors_header({"w": ("F32", [2])}, metadata)
    path = write(tmp_path, "chatty.safetensors", safetensors_bytes(header, data_length))

    info = inspect_lora(path, extension="safetensors")

    assert len(info.metadata) == 64
    assert set(info.metadata) == {f"key{index:03}" for index in range(64)}
    assert all(len(value) == 1024 for value in info.metadata.values())


def build(tensors: dict[str, tuple[str, list[int]]], **changes: Any) -> tuple[dict[str, Any], int]:
    header, data_length = tensors_header(tensors)
    for name, fields in changes.items():
        header[name].update(fields)
    return header, data_length


TWO = {"a": ("F32", [2, 2]), "b": ("F16", [4])}  # a: bytes 0-16, b: bytes 16-24


@pytest.mark.parametrize(
    ("header", "data_length", "reason"),
    [
        (*build(TWO), "ok"),
        (build(TWO)[0], 20, "tensor 'b' runs past the end of the file (truncated?)"),
        (build(TWO)[0], 30, "the last 6 bytes of the file belong to no tensor"),
        (*build(TWO, b={"data_offsets": [8, 16], "shape": [4]}), "tensor 'b' overlaps another tensor"),
        (build(TWO, b={"data_offsets": [20, 28]})[0], 28, "4 bytes before tensor 'b' belong to no tensor"),
        (*build(TWO, a={"dtype": "F128"}), "tensor 'a' has an unknown dtype 'F128'"),
        (*build(TWO, a={"dtype": 4}), "tensor 'a' has an unknown dtype '4'"),
        (
            *build(TWO, a={"shape": [2, -2]}),
            "tensor 'a' has an invalid shape (a list of non-negative integers is expected)",
        ),
        (
            *build(TWO, a={"shape": [True, 4]}),
            "tensor 'a' has an invalid shape (a list of non-negative integers is expected)",
        ),
        (
            *build(TWO, a={"shape": "2x2"}),
            "tensor 'a' has an invalid shape (a list of non-negative integers is expected)",
        ),
        (*build(TWO, a={"shape": [2, 3]}), "tensor 'a' takes 16 bytes but its dtype and shape need 24"),
        (
            *build(TWO, a={"data_offsets": [0]}),
            "tensor 'a' has invalid data_offsets (two non-negative integers are expected)",
        ),
        (*build(TWO, a={"data_offsets": [16, 0]}), "tensor 'a' ends before it begins"),
        (
            *build(TWO, a={"data_offsets": [-16, 0]}),
            "tensor 'a' has invalid data_offsets (two non-negative integers are expected)",
        ),
        ({"a": [1, 2]}, 0, "tensor 'a' is not an object"),
        ({"__metadata__": {"k": "v"}}, 0, "it holds no tensors"),
        (
            {"__metadata__": {"epochs": 3}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
            1,
            "__metadata__ must map strings to strings",
        ),
        (
            {"__metadata__": ["x"], "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
            1,
            "__metadata__ must map strings to strings",
        ),
        (
            {"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 1]}},
            1,
            "tensor 'a' does not fill a whole number of bytes",
        ),
        ({"a": {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]}}, 2, "ok"),
        ({"a": {"dtype": "F6_E3M2", "shape": [4], "data_offsets": [0, 3]}}, 3, "ok"),
    ],
)
def test_inconsistent_tensor_tables_are_refused(tmp_path: Path, header: Any, data_length: int, reason: str) -> None:
    path = write(tmp_path, "w.safetensors", safetensors_bytes(header, data_length))

    if reason == "ok":
        assert inspect_lora(path, extension="safetensors").format == "safetensors"
    else:
        assert refusal(path, "safetensors") == f"invalid safetensors header: {reason}"


@pytest.mark.parametrize(
    ("raw_header", "reason"),
    [
        (b"this is not json", "not valid JSON"),
        (b'[{"dtype": "F32"}]', "not a JSON object"),
        (b'"just a string"', "not a JSON object"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {}}', "the key 'a' appears twice"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    ],
    ids=["not json", "array", "string", "not utf-8", "duplicate key", "deep nesting"],
)
def test_headers_that_are_not_a_json_object_are_refused(tmp_path: Path, raw_header: bytes, reason: str) -> None:
    path = write(tmp_path, "w.safetensors", safetensors_bytes(raw_header, 1))

    assert refusal(path, "safetensors") == f"invalid safetensors header: {reason}"


def test_header_lengths_that_cannot_be_right_are_refused(tmp_path: Path) -> None:
    header, data_length = tensors_header(TWO)
    good = safetensors_bytes(header, data_length)

    tiny = write(tmp_path, "tiny.safetensors", b"\x01\x02\x03")
    assert refusal(tiny, "safetensors") == "not a safetensors file: it is shorter than the 8-byte header length"
    zero = write(tmp_path, "zero.safetensors", bytes(8) + good[8:])
    assert refusal(zero, "safetensors") == "not a safetensors file: header length is 0"
    past_end = write(tmp_path, "past.safetensors", struct.pack("<Q", 5000) + good[8:])
    assert refusal(past_end, "safetensors") == (
        f"not a safetensors file: header length 5000 points past the end of the file ({len(good)} bytes)"
    )
    huge = write(tmp_path, "huge.safetensors", struct.pack("<Q", 2**63) + good[8:])
    assert refusal(huge, "safetensors") == (f"not a safetensors file: header length {2**63} is over the 10 MB limit")
    capped = write(tmp_path, "capped.safetensors", good)
    header_length = struct.unpack("<Q", good[:8])[0]
    assert refusal(capped, "safetensors", max_header_bytes=64) == (
        f"not a safetensors file: header length {header_length} is over the 64 bytes limit"
    )
    assert inspect_lora(capped, extension="safetensors", max_header_bytes=header_length).tensor_count == 2


def test_a_pickle_renamed_to_safetensors_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "sneaky.safetensors", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.")

    assert refusal(path, "safetensors").startswith("not a safetensors file: header length ")


# --- pickle-based formats ------------------------------------------------------------------------------------------


def torch_like_zip(path: Path, data_pkl: bytes, *, folder: str = "archive") -> Path:
    """The layout `torch.save` writes: a folder holding data.pkl, one entry per storage, and bookkeeping files."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{folder}/data.pkl", data_pkl)
        archive.writestr(f"{folder}/byteorder", b"little")
        archive.writestr(f"{folder}/data/0", bytes(64))
        archive.writestr(f"{folder}/version", b"3\n")
    return path


# An empty dict pickled with protocols 2 and 5, written out as bytes: nothing in them can run.
PICKLE_V2 = b"\x80\x02}q\x00."
PICKLE_V5 = b"\x80\x05\x95\x03\x00\x00\x00\x00\x00\x00\x00}\x94."


@pytest.mark.parametrize("extension", ["ckpt", "pt", "pth", "bin"])
def test_a_pytorch_zip_checkpoint_is_recognised_by_its_file_list(tmp_path: Path, extension: str) -> None:
    path = torch_like_zip(tmp_path / f"lora.{extension}", PICKLE_V2, folder="lora")

    assert inspect_lora(path, extension=extension) == LoraInfo(
        format="pytorch-zip",
        tensor_count=None,
        dtypes=(),
        parameter_count=None,
        metadata={},
        size_bytes=path.stat().st_size,
    )


@pytest.mark.parametrize("content", [PICKLE_V2, PICKLE_V5, b"\x80\x03" + bytes(100)])
def test_a_legacy_pickle_stream_is_recognised_by_its_protocol_header(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, "old.ckpt", content)

    info = inspect_lora(path, extension="ckpt")

    assert (info.format, info.tensor_count, info.size_bytes) == ("pickle", None, len(content))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (os.urandom(4096), "neither a PyTorch ZIP archive nor a pickle stream"),
        (b"", "neither a PyTorch ZIP archive nor a pickle stream"),
        (b"}q\x00.", "neither a PyTorch ZIP archive nor a pickle stream"),  # protocol 0/1: no header at all
        (b"\x80\x06}.", "neither a PyTorch ZIP archive nor a pickle stream"),  # no such protocol
        (b"\x80", "neither a PyTorch ZIP archive nor a pickle stream"),
        (b"PK\x03\x04" + bytes(200), "the file is not a ZIP archive"),
    ],
    ids=["random", "empty", "protocol 0", "protocol 6", "one byte", "zip magic only"],
)
def test_other_bytes_are_not_a_pytorch_checkpoint(tmp_path: Path, content: bytes, reason: str) -> None:
    path = write(tmp_path, "weights.pt", content)

    assert refusal(path, "pt") == f"not a PyTorch checkpoint: {reason}"


def test_a_zip_without_data_pkl_is_not_a_pytorch_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "photos.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("front.jpg", b"jpeg")
        archive.writestr("data.pkl.txt", b"decoy")

    assert refusal(path, "pth") == "not a PyTorch checkpoint: a ZIP archive without data.pkl"


class _TouchOnLoad:
    """Unpickling this calls Path.touch(marker): a stand-in for any code an attacker would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_malicious_pickle_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_TouchOnLoad(marker))
    bare = write(tmp_path, "evil.pt", payload)
    zipped = torch_like_zip(tmp_path / "evil.ckpt", payload)

    assert inspect_lora(bare, extension="pt").format == "pickle"
    assert inspect_lora(zipped, extension="ckpt").format == "pytorch-zip"
    assert refusal(bare, "safetensors").startswith("not a safetensors file")
    assert not marker.exists()

    # The payload is live: loading it the way torch.load would runs it. Proof the check above can fail.
    pickle.loads(payload)  # noqa: S301 - deliberately unpickling our own test payload
    assert marker.exists()


def test_inspection_needs_neither_torch_nor_safetensors_nor_pickle(tmp_path: Path) -> None:
    header, data_length = tensors_header(LORA_TENSORS)
    safetensors_path = write(tmp_path, "a.safetensors", safetensors_bytes(header, data_length))
    zip_path = torch_like_zip(tmp_path / "a.pt", PICKLE_V2)
    pickle_path = write(tmp_path, "a.bin", PICKLE_V5)
    # Blocking the modules makes any import of them fail inside the child process.
    script = f"""
import sys
sys.modules.update(torch=None, safetensors=None, pickle=None, _pickle=None)
from pathlib import Path
from core.lora import inspect_lora
print(inspect_lora(Path({str(safetensors_path)!r}), extension="safetensors").tensor_count)
print(inspect_lora(Path({str(zip_path)!r}), extension="pt").format)
print(inspect_lora(Path({str(pickle_path)!r}), extension="bin").format)
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
    )

    assert (result.returncode, result.stdout.split()) == (0, ["4", "pytorch-zip", "pickle"]), result.stderr
