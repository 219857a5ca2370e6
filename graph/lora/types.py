"""What a stored LoRA weights file holds, as the job read it (services/lora.py `describe`)."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from db.models.enums import LoraStatus


def status_name(status: LoraStatus) -> str:
    """`loraStatus` as the API shows it: none, processing, ready or failed."""
    return status.value


@strawberry.type(description="One `__metadata__` entry of a safetensors header (capped in count and length).")
class LoraMetadataEntry:
    key: str = strawberry.field(description="The entry's name, as the file has it.")
    value: str = strawberry.field(description="The entry's value, as text.")


@strawberry.type(description="What a stored LoRA weights file holds, read from its header; the file is never loaded.")
class LoraInfo:
    format: str = strawberry.field(description="safetensors, pytorch-zip or pickle.")
    tensor_count: int | None = strawberry.field(
        description="Null for the pickle-based formats, which are recognised by their magic bytes and never opened."
    )
    dtypes: list[str] = strawberry.field(description="The tensors' dtypes (F16, BF16, F32, ...); empty when not read.")
    parameter_count: float | None = strawberry.field(
        description="Elements over all tensors (a Float: counts may pass GraphQL's 32-bit Int); null when not read."
    )
    size_bytes: int = strawberry.field(description="The file's size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the file's bytes, hex; also its stored file name.")
    metadata: list[LoraMetadataEntry] = strawberry.field(
        description="The safetensors header's `__metadata__` entries, sorted by key; empty for other formats."
    )

    @classmethod
    def maybe(cls, data: dict[str, Any] | None) -> Self | None:
        if not data:
            return None
        metadata = data.get("metadata") or {}
        return cls(
            format=data["format"],
            tensor_count=data.get("tensor_count"),
            dtypes=list(data.get("dtypes") or []),
            parameter_count=data.get("parameter_count"),
            size_bytes=data["size_bytes"],
            sha256=data["sha256"],
            metadata=[LoraMetadataEntry(key=key, value=value) for key, value in sorted(metadata.items())],
        )
