"""What the ZIP-ingest tests share: archives built here (honest and hostile), the upload request, task queries,
and snapshots of the rows and files an ingest touches."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import struct
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import MediaResource, SubjectBaseImage, SubjectPortfolioImage
from db.models.enums import DefaultShotTypes
from tests.conftest import Account, GraphQLClient
from tests.images import image_bytes

CSRF = {"Apollo-Require-Preflight": "true"}
TASK_FIELDS = """id ownerId subjectId status progress totalItems processedItems imagesProcessed imagesSkipped
  portfolioImagesProcessed errorMessage createdAt startedAt completedAt resultData"""
UPLOAD_ZIP = f"""mutation($file: Upload!, $subjectId: UUID, $org: UUID) {{
  uploadSubjectBaseImagesZip(file: $file, subjectId: $subjectId, organizationId: $org) {{ {TASK_FIELDS} }} }}"""
TASK = f"query($id: UUID!) {{ subjectUploadTask(taskId: $id) {{ {TASK_FIELDS} }} }}"
LATEST = f"""query($subjectId: UUID!, $org: UUID) {{
  subjectLatestUploadTask(subjectId: $subjectId, organizationId: $org) {{ {TASK_FIELDS} }} }}"""

# The shot types every installation has (seeded by the first migration, public, ids derived from the name).
DEFAULT_SHOT_TYPES = [member.value for member in DefaultShotTypes]


def default_shot_type_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"studio:default-shot-type:{name}"))


# --- requests ----------------------------------------------------------------------------------------------------


async def upload_zip(
    http: httpx.AsyncClient,
    account: Account | None,
    content: bytes,
    *,
    subject_id: str | None = None,
    organization_id: str | None = None,
) -> dict[str, Any]:
    """The GraphQL multipart request of uploadSubjectBaseImagesZip; answers the response body."""
    variables = {"file": None, "subjectId": subject_id, "org": organization_id}
    response = await http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD_ZIP, "variables": variables}),
            "map": '{"0": ["variables.file"]}',
        },
        files={"0": ("images.zip", content, "application/zip")},
        headers={**(account.headers if account else {}), **CSRF},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def uploaded_task(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    task: dict[str, Any] = body["data"]["uploadSubjectBaseImagesZip"]
    return task


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


async def task_as(gql: GraphQLClient, account: Account, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = (await gql.data(TASK, {"id": task_id}, as_=account))["subjectUploadTask"]
    return task


# --- archives ----------------------------------------------------------------------------------------------------

Member = tuple[str | zipfile.ZipInfo, bytes]


def build_zip(members: Iterable[Member], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        # A random comment makes every built ZIP unique: stored uploads are shared by content, and a test must not
        # find (or miss) a file because an earlier test uploaded the same bytes.
        archive.comment = uuid.uuid4().hex.encode()
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def png(seed: int = 0, *, width: int = 12, height: int = 10) -> bytes:
    """A small PNG whose content depends on `seed` (different seeds, different files)."""
    return image_bytes(width=width, height=height, color=(seed % 251, (seed // 251) % 251, 77))


def jpeg(seed: int = 0) -> bytes:
    return image_bytes(width=14, height=10, color=(seed % 251, 120, 30), image_format="JPEG")


def unique_png() -> bytes:
    """A PNG no other test sends (its colour is random), so its media row and file are this test's alone."""
    red, green, blue = uuid.uuid4().bytes[:3]
    return image_bytes(width=9, height=7, color=(red, green, blue))


def symlink(name: str) -> zipfile.ZipInfo:
    """A ZipInfo that unzip would restore as a symbolic link (its content is the link's target)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix: the mode bits below are meaningful
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def directory(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name.rstrip("/") + "/")
    info.create_system = 3
    info.external_attr = (stat.S_IFDIR | 0o755) << 16
    return info


def with_lying_size(archive: bytes, name: str, declared: int) -> bytes:
    """The archive with `name`'s uncompressed size rewritten to `declared` in both of its headers, as a bomb
    disguised as a small file would have it (the data still inflates to its real size)."""
    data = bytearray(archive)
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_length]) == encoded:
            struct.pack_into("<I", data, local + 22, declared)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == encoded:
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def overlapping_bomb(*, entries: int, declared_each: int, compressed_each: int) -> bytes:
    """A small file declaring `entries` * `declared_each` bytes: every central-directory record points at the
    same local entry (the "overlapping files" zip bomb), so the archive costs one entry's bytes on disk."""
    name = b"bomb-000.png"
    payload = bytes(compressed_each)
    local = struct.pack(
        "<4s5H3I2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, 0, 0, 0, compressed_each, declared_each, len(name), 0
    )
    body = local + name + payload
    directory_records = b""
    for index in range(entries):
        record_name = f"bomb-{index:03}.png".encode()
        directory_records += (
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                0,
                zipfile.ZIP_DEFLATED,
                0,
                0,
                0,
                compressed_each,
                declared_each,
                len(record_name),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + record_name
        )
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, entries, entries, len(directory_records), len(body), 0)
    return body + directory_records + end


# --- what an ingest leaves behind --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    base_images: frozenset[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]  # (row id, shot type, media)
    portfolio: tuple[tuple[uuid.UUID, int], ...]  # (media, position), in order
    owner_media: frozenset[tuple[uuid.UUID, str]]  # (media id, storage key) of the owner

    @property
    def media_keys(self) -> list[str]:
        return sorted(key for _, key in self.owner_media)


async def subject_rows(session_factory: async_sessionmaker[AsyncSession], subject_id: str, owner_id: uuid.UUID) -> Rows:
    async with session_factory() as session:
        base = await session.execute(
            select(SubjectBaseImage.id, SubjectBaseImage.shot_type_id, SubjectBaseImage.media_id).where(
                SubjectBaseImage.subject_id == uuid.UUID(subject_id)
            )
        )
        portfolio = await session.execute(
            select(SubjectPortfolioImage.media_id, SubjectPortfolioImage.position)
            .where(SubjectPortfolioImage.subject_id == uuid.UUID(subject_id))
            .order_by(SubjectPortfolioImage.position, SubjectPortfolioImage.id)
        )
        media = await session.execute(
            select(MediaResource.id, MediaResource.storage_key).where(MediaResource.owner_id == owner_id)
        )
        return Rows(
            base_images=frozenset((row[0], row[1], row[2]) for row in base.all()),
            portfolio=tuple((row[0], row[1]) for row in portfolio.all()),
            owner_media=frozenset((row[0], row[1]) for row in media.all()),
        )


async def media_rows_per_key(session_factory: async_sessionmaker[AsyncSession], owner_id: uuid.UUID) -> int:
    """The largest number of the owner's media rows sharing one stored file (1 when there are no duplicates)."""
    async with session_factory() as session:
        counts = await session.scalars(
            select(func.count())
            .select_from(MediaResource)
            .where(MediaResource.owner_id == owner_id)
            .group_by(MediaResource.storage_key)
        )
        return max(counts, default=1)


def archive_key(content: bytes) -> str:
    """Where an uploaded ZIP waits for the worker (the `uploads` namespace, never served)."""
    digest = hashlib.sha256(content).hexdigest()
    return f"uploads/{digest[:2]}/{digest}.zip"


def staged_files(storage_dir: Path) -> set[str]:
    """Files being received or inspected right now (the storage's temp folder)."""
    return {name for name in files_under(storage_dir) if name.startswith("tmp/")}


def files_under(root: Path) -> set[str]:
    """Every file and link below `root`, as paths relative to it."""
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file() or path.is_symlink()}
