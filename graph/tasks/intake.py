"""What `uploadSubjectBaseImagesZip` does with the file before answering: stage it within the size cap, check it
is a ZIP within the reading budget, and, when no subject is given, read `metadata.json` and find a cover.

Only the central directory and these few small entries are read here; the images are the worker's job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from strawberry.file_uploads import Upload

from core.archive import ArchiveBudget, ArchiveEntry, ArchiveError, EntryError, EntryTooLargeError, open_archive
from core.storage import AsyncReadable, StagedFile, TooLargeError, format_size, iter_chunks
from db.models import MediaResource
from graph.tasks.metadata import FIELD, METADATA_MAX_BYTES, missing, problem, too_large
from services.errors import BadUserInputError, PayloadTooLargeError
from services.media import MediaService
from services.resources import Resources
from services.upload_tasks import IMAGE_EXTENSIONS, archive_budget, is_portfolio, is_root_metadata, stage_entry

# Images tried, in order, as the cover of a subject whose metadata.json names none.
MAX_COVER_ATTEMPTS = 3
NO_COVER = "metadata.json names no cover_image and the archive holds no usable image to take instead"


@dataclass
class Intake:
    """What was learnt from the archive: the raw metadata.json (when asked for) and the cover candidates."""

    metadata: bytes | None = None
    cover_candidates: list[ArchiveEntry] = field(default_factory=list)


async def stage_upload(resources: Resources, file: Upload) -> StagedFile:
    limit = resources.settings.zip_max_bytes
    try:
        # Strawberry types Upload as bytes; over multipart it is Starlette's UploadFile.
        return await resources.storage.stage(iter_chunks(cast(AsyncReadable, file)), max_bytes=limit)
    except TooLargeError as exc:
        raise PayloadTooLargeError(f"The ZIP file is larger than {format_size(limit)}") from exc


async def inspect_upload(resources: Resources, staged: StagedFile, *, want_metadata: bool) -> Intake:
    """BAD_USER_INPUT on `file` when the upload is not a ZIP the worker could read, or (with `want_metadata`)
    when metadata.json is missing or too large."""
    return await asyncio.to_thread(_inspect, staged.path, archive_budget(resources), want_metadata)


def _inspect(path: Path, budget: ArchiveBudget, want_metadata: bool) -> Intake:
    try:
        with open_archive(path, budget) as archive:
            if not want_metadata:
                return Intake()
            entry = next((entry for entry in archive.entries if is_root_metadata(entry)), None)
            if entry is None:
                raise missing()
            if entry.problem is not None:
                raise problem(entry.problem)
            try:
                raw = archive.read_bytes(entry, max_bytes=METADATA_MAX_BYTES)
            except EntryTooLargeError as exc:
                raise too_large() from exc
            except EntryError as exc:
                raise problem(exc.message) from exc
            images = [e for e in archive.entries if e.problem is None and e.extension in IMAGE_EXTENSIONS]
            # Shot-type images first: a subject's cover is more like its base images than its portfolio.
            candidates = [e for e in images if not is_portfolio(e)] + [e for e in images if is_portfolio(e)]
            return Intake(metadata=raw, cover_candidates=candidates[:MAX_COVER_ATTEMPTS])
    except ArchiveError as exc:
        raise BadUserInputError({FIELD: exc.message}) from exc


async def cover_from_archive(media: MediaService, staged: StagedFile, candidates: list[ArchiveEntry]) -> MediaResource:
    """The first candidate that is a usable image, ingested as the caller's media (BAD_USER_INPUT when none)."""
    budget = archive_budget(media.resources)
    for entry in candidates:
        try:
            image = await asyncio.to_thread(_stage_one, media.resources, staged.path, budget, entry)
            return await media.from_staged(image, field=FIELD)
        except (EntryError, ArchiveError, BadUserInputError):
            continue
    raise BadUserInputError({FIELD: NO_COVER})


def _stage_one(resources: Resources, path: Path, budget: ArchiveBudget, entry: ArchiveEntry) -> StagedFile:
    with open_archive(path, budget) as archive:
        return stage_entry(resources.storage, archive, entry, max_bytes=resources.settings.media_max_bytes)
