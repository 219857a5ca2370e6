"""What the LoRA and purge tests share: weights files made here, the upload request, the views to check."""

from __future__ import annotations

import json
import math
import os
import struct
import uuid
from typing import Any

import httpx

from tests.conftest import Account, GraphQLClient
from tests.images import image_uri

CSRF = {"Apollo-Require-Preflight": "true"}
LORA_INFO = "loraInfo { format tensorCount dtypes parameterCount sizeBytes sha256 metadata { key value } }"
SUBJECT_FIELDS = f"id loraStatus loraTrigger loraError localModelPath loraFilename deletedAt {LORA_INFO}"
STYLE_FIELDS = f"id loraStatus loraTrigger localModelPath trainingProgress trainingError deletedAt {LORA_INFO}"

UPLOAD_SUBJECT = f"""mutation($id: UUID!, $file: Upload!, $trigger: String!, $entityType: String) {{
  uploadSubjectLora(subjectId: $id, file: $file, loraTrigger: $trigger, entityType: $entityType) {{
    {SUBJECT_FIELDS} }} }}"""
UPLOAD_STYLE = f"""mutation($id: UUID!, $file: Upload!, $trigger: String!) {{
  uploadStyleLora(styleId: $id, file: $file, loraTrigger: $trigger) {{ {STYLE_FIELDS} }} }}"""
ADMIN_SUBJECT = f"query($id: UUID!) {{ adminSubject(id: $id) {{ {SUBJECT_FIELDS} }} }}"
ADMIN_STYLE = f"query($id: UUID!) {{ adminStyle(id: $id) {{ {STYLE_FIELDS} }} }}"
CREATE_STYLE = "mutation($input: StyleCreate!) { createStyle(input: $input) { id } }"
CREATE_SUBJECT = "mutation($input: SubjectCreate!) { createSubject(input: $input) { id } }"

_DTYPE_BYTES = {"F16": 2, "BF16": 2, "F32": 4, "I64": 8}


def safetensors(tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None) -> bytes:
    """A well-formed safetensors file: an 8-byte header length, the JSON header, then the (random) tensor data."""
    header: dict[str, Any] = {}
    data = bytearray()
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * _DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + size]}
        data += os.urandom(size)
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(data)


def small_lora() -> bytes:
    """Two tensors of two dtypes; random data, so every call is new content."""
    return safetensors(
        {"lora_unet_down.lora_down.weight": ("F16", [4, 8]), "lora_unet_down.alpha": ("F32", [])},
        metadata={"ss_network_dim": "4"},
    )


async def upload_lora(
    http: httpx.AsyncClient,
    account: Account | None,
    kind: str,
    entity_id: str,
    content: bytes,
    *,
    filename: str = "weights.safetensors",
    trigger: str = "ohwx person",
    **extra: Any,
) -> dict[str, Any]:
    """The GraphQL multipart request of uploadSubjectLora / uploadStyleLora; answers the response body."""
    query = UPLOAD_SUBJECT if kind == "subject" else UPLOAD_STYLE
    variables = {"id": entity_id, "file": None, "trigger": trigger, **extra}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps({"query": query, "variables": variables}), "map": '{"0": ["variables.file"]}'},
        files={"0": (filename, content, "application/octet-stream")},
        headers={**(account.headers if account else {}), **CSRF},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answer(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = next(iter(body["data"].values()))
    return data


async def make_subject(gql: GraphQLClient, owner: Account, cover: str | None = None, **fields: Any) -> str:
    body = {
        "name": f"subject-{uuid.uuid4().hex[:6]}",
        "ageClass": "ADULT",
        "coverImage": {"url": cover or image_uri(width=8, height=6)},
        **fields,
    }
    return str((await gql.data(CREATE_SUBJECT, {"input": body}, as_=owner))["createSubject"]["id"])


async def make_style(gql: GraphQLClient, owner: Account, cover: str | None = None) -> str:
    body = {"name": f"Style {uuid.uuid4().hex[:6]}", "coverImage": {"url": cover or image_uri(width=8, height=6)}}
    return str((await gql.data(CREATE_STYLE, {"input": body}, as_=owner))["createStyle"]["id"])


async def admin_view(gql: GraphQLClient, admin: Account, kind: str, entity_id: str) -> dict[str, Any]:
    query = ADMIN_SUBJECT if kind == "subject" else ADMIN_STYLE
    return next(iter((await gql.data(query, {"id": entity_id}, as_=admin)).values()))  # type: ignore[no-any-return]
