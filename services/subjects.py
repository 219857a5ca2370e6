"""Subjects: creation (with every nested part), updates, copies.

Rules worth knowing (README, "Subjects"):
- The slug is made from name and surname at creation and never changes with a rename.
- `ready` may only become true while the subject has a base image; deleting the last one sets it false.
- `enabled` is output only (true by default); `localModelPath` and any `loraStatus` but `none` are set by
  superusers only.
- Every image goes through the one media path (services/media.py); a copy links the same media rows, so files
  are shared while every row of the copy is its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    ShotType,
    Subject,
    SubjectBaseImage,
    SubjectDataImage,
    SubjectMeasurements,
    SubjectPortfolioImage,
)
from db.models.enums import LoraStatus
from services.caller import Caller
from services.crud import apply_changes, get_visible, unseen_references
from services.errors import BadUserInputError, ForbiddenError
from services.media import MediaService, MediaSource
from services.resources import Resources
from services.slugs import add_with_unique_slug
from services.visibility import ensure_member, ensure_superuser

WHAT = "Subject"
MAX_IMAGES_PER_LIST = 50
SHOT_TYPE_UNSEEN = "no shot type you can see has this id"
READY_NEEDS_BASE_IMAGE = "a subject needs at least one base image to be ready"

# Columns a copy takes over as they are (the LoRA state is not among them: a copy starts without one).
_COPIED_COLUMNS = (
    "owner_id", "organization_id", "name", "surname", "description", "age_class", "gender", "subject_type",
    "body_type", "positive_prompt", "negative_prompt", "ethnicity", "public", "enabled", "ready",
    "cover_image_media_id", "portrait_image_media_id",
)  # fmt: skip
_IMAGE_LINK_MODELS: tuple[type[SubjectDataImage] | type[SubjectPortfolioImage], ...] = (
    SubjectDataImage,
    SubjectPortfolioImage,
)
_MEASUREMENT_COLUMNS = ("bust_cm", "waist_cm", "hips_cm", "height_cm", "shoe_eu", "eye_color", "hair_color")


@dataclass(frozen=True)
class BaseImageSpec:
    shot_type_id: uuid.UUID
    image: MediaSource


@dataclass(frozen=True)
class SubjectParts:
    """The nested parts of a new subject, in the order given."""

    cover_image: MediaSource
    portrait_image: MediaSource | None = None
    data_images: Sequence[MediaSource] = ()
    portfolio_images: Sequence[MediaSource] = ()
    base_images: Sequence[BaseImageSpec] = ()
    measurements: dict[str, Any] | None = field(default=None)


def slug_source(name: str, surname: str | None) -> str:
    return f"{name} {surname}" if surname else name


def ensure_lora_fields_allowed(caller: Caller, columns: dict[str, Any]) -> None:
    """The model path and a LoRA state other than `none` come from the LoRA pipeline (or a superuser)."""
    if caller.is_superuser:
        return
    if columns.get("local_model_path") is not None:
        raise ForbiddenError("Only superusers may set localModelPath")
    if columns.get("lora_status", LoraStatus.NONE) is not LoraStatus.NONE:
        raise ForbiddenError("Only superusers may set a loraStatus other than none")


async def ensure_shot_types_visible(session: AsyncSession, caller: Caller, references: dict[str, uuid.UUID]) -> None:
    """BAD_USER_INPUT naming each path whose shot type the caller cannot see (hidden looks like missing)."""
    unseen = await unseen_references(session, caller, ShotType, references)
    if unseen:
        raise BadUserInputError(dict.fromkeys(unseen, SHOT_TYPE_UNSEEN))


async def create_subject(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    *,
    columns: dict[str, Any],
    parts: SubjectParts,
    organization_id: uuid.UUID | None,
) -> Subject:
    # Permissions and references first, so that a refused call ingests no images.
    if organization_id is not None:
        ensure_member(caller, organization_id)
    ensure_lora_fields_allowed(caller, columns)
    await ensure_shot_types_visible(
        session,
        caller,
        {f"input.baseImages.{index}.shotTypeId": spec.shot_type_id for index, spec in enumerate(parts.base_images)},
    )
    media = MediaService(session, resources, caller)
    cover = await media.from_source(parts.cover_image, field="input.coverImage")
    portrait = (
        await media.from_source(parts.portrait_image, field="input.portraitImage") if parts.portrait_image else None
    )
    data_ids = await _ingest_all(media, parts.data_images, "input.dataImages")
    portfolio_ids = await _ingest_all(media, parts.portfolio_images, "input.portfolioImages")
    # A later entry for the same shot type replaces an earlier one, as a later upload would.
    base_media: dict[uuid.UUID, uuid.UUID] = {}
    for index, spec in enumerate(parts.base_images):
        image = await media.from_source(spec.image, field=f"input.baseImages.{index}.imageUrl")
        base_media[spec.shot_type_id] = image.id

    # The row is inserted last: its slug is held from here to the commit, and racing creates wait on it.
    def make(slug: str) -> Subject:
        return Subject(
            **columns,
            slug=slug,
            owner_id=caller.id,
            organization_id=organization_id,
            cover_image_media_id=cover.id,
            portrait_image_media_id=portrait.id if portrait is not None else None,
        )

    row = await add_with_unique_slug(session, slug_source(columns["name"], columns.get("surname")), make, what=WHAT)
    _add_image_links(session, SubjectDataImage, row.id, data_ids)
    _add_image_links(session, SubjectPortfolioImage, row.id, portfolio_ids)
    session.add_all(
        SubjectBaseImage(subject_id=row.id, shot_type_id=shot_type_id, media_id=media_id)
        for shot_type_id, media_id in base_media.items()
    )
    if parts.measurements is not None:
        session.add(SubjectMeasurements(subject_id=row.id, **parts.measurements))
    await session.flush()
    return row


async def update_subject(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    subject_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    organization_id: uuid.UUID | None,
) -> Subject:
    """`changes` holds only the given fields; nested parts (cover_image, portrait_image, data_images,
    portfolio_images, measurements) among them, as `SubjectUpdate.changes()` builds them."""
    row = await get_visible(
        session, caller, Subject, subject_id, WHAT, organization_id=organization_id, for_update=True
    )
    values = dict(changes)
    nested = {name: values.pop(name) for name in _NESTED if name in values}
    apply_changes(caller, row, values, WHAT)
    if values.get("ready") is True and not await has_base_images(session, row.id):
        raise BadUserInputError({"input.ready": READY_NEEDS_BASE_IMAGE})
    if nested:
        await _apply_nested(session, MediaService(session, resources, caller), row, nested)
        # The images and measurements are part of the subject: changing them alone is a change of the subject.
        row.updated_at = utcnow()
    await session.flush()
    return row


_NESTED = ("cover_image", "portrait_image", "data_images", "portfolio_images", "measurements")


async def _apply_nested(session: AsyncSession, media: MediaService, row: Subject, nested: dict[str, Any]) -> None:
    if "cover_image" in nested:
        row.cover_image_media_id = (await media.from_source(nested["cover_image"], field="input.coverImage")).id
    if "portrait_image" in nested:
        portrait: MediaSource | None = nested["portrait_image"]
        row.portrait_image_media_id = (
            (await media.from_source(portrait, field="input.portraitImage")).id if portrait is not None else None
        )
    for name, model, path in (
        ("data_images", SubjectDataImage, "input.dataImages"),
        ("portfolio_images", SubjectPortfolioImage, "input.portfolioImages"),
    ):
        if name in nested:
            media_ids = await _ingest_all(media, nested[name], path)
            await session.execute(delete(model).where(model.subject_id == row.id))
            _add_image_links(session, model, row.id, media_ids)
    if "measurements" in nested:
        await _apply_measurements(session, row.id, nested["measurements"])


async def _apply_measurements(session: AsyncSession, subject_id: uuid.UUID, values: dict[str, Any] | None) -> None:
    """A dict changes the given columns (creating the row when missing); None removes the measurements."""
    if values is None:
        await session.execute(delete(SubjectMeasurements).where(SubjectMeasurements.subject_id == subject_id))
        return
    existing = await session.scalar(select(SubjectMeasurements).where(SubjectMeasurements.subject_id == subject_id))
    if existing is None:
        session.add(SubjectMeasurements(subject_id=subject_id, **values))
        return
    for name, value in values.items():
        setattr(existing, name, value)


async def has_base_images(session: AsyncSession, subject_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(SubjectBaseImage.subject_id == subject_id))))


async def copy_subject(session: AsyncSession, caller: Caller, subject_id: uuid.UUID) -> Subject:
    """A new subject (new id and slug, same owner and organization) with its own rows for measurements, base,
    data and portfolio images, linking the same media rows (so the stored files are shared). The LoRA is not
    copied: the copy starts with loraStatus none and no model path or trigger."""
    ensure_superuser(caller)
    source = await get_visible(session, caller, Subject, subject_id, WHAT)
    columns = {name: getattr(source, name) for name in _COPIED_COLUMNS}

    def make(slug: str) -> Subject:
        return Subject(**columns, slug=slug, lora_status=LoraStatus.NONE, lora_trigger=None, local_model_path=None)

    copy = await add_with_unique_slug(session, slug_source(source.name, source.surname), make, what=WHAT)
    for model in _IMAGE_LINK_MODELS:
        media_ids = await session.scalars(
            select(model.media_id).where(model.subject_id == source.id).order_by(model.position, model.id)
        )
        _add_image_links(session, model, copy.id, list(media_ids))
    base_images = await session.scalars(select(SubjectBaseImage).where(SubjectBaseImage.subject_id == source.id))
    session.add_all(
        SubjectBaseImage(subject_id=copy.id, shot_type_id=image.shot_type_id, media_id=image.media_id)
        for image in base_images
    )
    measurements = await session.scalar(select(SubjectMeasurements).where(SubjectMeasurements.subject_id == source.id))
    if measurements is not None:
        session.add(
            SubjectMeasurements(
                subject_id=copy.id, **{name: getattr(measurements, name) for name in _MEASUREMENT_COLUMNS}
            )
        )
    await session.flush()
    return copy


async def _ingest_all(media: MediaService, sources: Sequence[MediaSource], path: str) -> list[uuid.UUID]:
    return [(await media.from_source(source, field=f"{path}.{index}")).id for index, source in enumerate(sources)]


def _add_image_links(
    session: AsyncSession,
    model: type[SubjectDataImage] | type[SubjectPortfolioImage],
    subject_id: uuid.UUID,
    media_ids: Sequence[uuid.UUID],
) -> None:
    session.add_all(
        model(subject_id=subject_id, media_id=media_id, position=position)
        for position, media_id in enumerate(media_ids)
    )
