"""Set designs: a background preset with base images (per subject and shot type), reference images and subject
portraits. Each nested list is written whole: given on an update, it replaces the stored one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    BackgroundPreset,
    SetBaseImage,
    SetDesign,
    SetReferenceImage,
    SetSubjectPortrait,
    ShotType,
    Subject,
)
from services.caller import Caller
from services.crud import ensure_visible
from services.media import MediaService, MediaSource
from services.owned import OwnedWrites, Parts
from services.resources import Resources

WHAT = "Set design"
BACKGROUND_PRESET_FIELD = "input.backgroundPresetId"


class Part(Protocol):
    """One entry of a nested list: its image, and the other columns of its row."""

    @property
    def image(self) -> MediaSource: ...

    def columns(self, index: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BaseImagePart:
    subject_id: uuid.UUID
    shot_type_id: uuid.UUID
    variant_index: int
    image: MediaSource

    def columns(self, index: int) -> dict[str, Any]:
        return {"subject_id": self.subject_id, "shot_type_id": self.shot_type_id, "variant_index": self.variant_index}


@dataclass(frozen=True)
class ReferenceImagePart:
    shot_type_id: uuid.UUID
    label: str | None
    image: MediaSource

    def columns(self, index: int) -> dict[str, Any]:
        return {"shot_type_id": self.shot_type_id, "label": self.label, "position": index}


@dataclass(frozen=True)
class PortraitPart:
    subject_id: uuid.UUID
    image: MediaSource

    def columns(self, index: int) -> dict[str, Any]:
        return {"subject_id": self.subject_id}


@dataclass(frozen=True)
class SetDesignParts:
    """The nested lists of a create or update; None leaves that list as it is."""

    base_images: list[BaseImagePart] | None = None
    reference_images: list[ReferenceImagePart] | None = None
    subject_portraits: list[PortraitPart] | None = None

    def any_given(self) -> bool:
        return any(part is not None for part in (self.base_images, self.reference_images, self.subject_portraits))


async def _ensure_references_visible(
    session: AsyncSession, caller: Caller, columns: dict[str, Any], parts: SetDesignParts
) -> None:
    """Every referenced background preset, subject and shot type must be one the caller can see; all problems
    are answered at once, and a hidden id reads exactly like a missing one."""
    background_preset_id: uuid.UUID | None = columns.get("background_preset_id")
    presets: dict[str, uuid.UUID] = {}
    subjects: dict[str, uuid.UUID] = {}
    shot_types: dict[str, uuid.UUID] = {}
    if background_preset_id is not None:
        presets[BACKGROUND_PRESET_FIELD] = background_preset_id
    for index, base in enumerate(parts.base_images or ()):
        subjects[f"input.baseImages.{index}.subjectId"] = base.subject_id
        shot_types[f"input.baseImages.{index}.shotTypeId"] = base.shot_type_id
    for index, reference in enumerate(parts.reference_images or ()):
        shot_types[f"input.referenceImages.{index}.shotTypeId"] = reference.shot_type_id
    for index, portrait in enumerate(parts.subject_portraits or ()):
        subjects[f"input.subjectPortraits.{index}.subjectId"] = portrait.subject_id
    await ensure_visible(
        session,
        caller,
        [
            (BackgroundPreset, "background preset", presets),
            (Subject, "subject", subjects),
            (ShotType, "shot type", shot_types),
        ],
    )


async def _write_parts(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    design: SetDesign,
    parts: SetDesignParts,
    replace: bool,
) -> None:
    if replace and parts.any_given():
        # Only child rows change, so the design's own onupdate would not fire.
        design.updated_at = utcnow()
    media = MediaService(session, resources, caller)
    # Base images and portraits have no position column, so their order is their creation time: each row gets
    # its own microsecond after a common start, which keeps the input order even within one flush.
    start = utcnow()

    def stamps(index: int) -> dict[str, Any]:
        moment = start + timedelta(microseconds=index)
        return {"created_at": moment, "updated_at": moment}

    lists: tuple[tuple[Sequence[Part] | None, str, Any], ...] = (
        (parts.base_images, "baseImages", SetBaseImage),
        (parts.reference_images, "referenceImages", SetReferenceImage),
        (parts.subject_portraits, "subjectPortraits", SetSubjectPortrait),
    )
    for entries, field, model in lists:
        if entries is None:
            continue
        rows = []
        for index, entry in enumerate(entries):
            image = await media.from_source(entry.image, field=f"input.{field}.{index}.image")
            rows.append(
                model(set_design_id=design.id, image_media_id=image.id, **entry.columns(index), **stamps(index))
            )
        await _replace(session, model, design.id, rows, replace=replace)


async def _replace(session: AsyncSession, model: Any, design_id: uuid.UUID, rows: list[Any], *, replace: bool) -> None:
    if replace:
        await session.execute(delete(model).where(model.set_design_id == design_id))
    session.add_all(rows)
    await session.flush()


SET_DESIGN_WRITES = OwnedWrites(
    SetDesign, WHAT, parts=Parts(write=_write_parts, ensure_visible=_ensure_references_visible)
)
