"""A subject's base images: one per (subject, shot type), added one at a time, listed, deleted by URL.

Replacing or deleting a base image releases its media (services/media_gc.py); the caller deletes the answered
storage keys' files after committing, so a file goes exactly when no stored row names it any more.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import MediaResource, Subject, SubjectBaseImage
from services.caller import Caller
from services.crud import get_visible
from services.errors import NotFoundError
from services.media import MediaService
from services.media_gc import release_media
from services.resources import Resources
from services.subjects import WHAT, BaseImageSpec, ensure_shot_types_visible, has_base_images
from services.visibility import ensure_can_modify

BASE_IMAGE_WHAT = "Base image"


async def add_base_image(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    subject_id: uuid.UUID,
    spec: BaseImageSpec,
    *,
    organization_id: uuid.UUID | None,
) -> tuple[SubjectBaseImage, list[str]]:
    """Add (or replace) the subject's base image for the shot type; answers that base image and the storage keys
    to delete once committed."""
    # The subject row is locked: concurrent adds for one subject run one after the other.
    subject = await get_visible(
        session, caller, Subject, subject_id, WHAT, organization_id=organization_id, for_update=True
    )
    ensure_can_modify(caller, subject, WHAT)
    await ensure_shot_types_visible(session, caller, {"input.shotTypeId": spec.shot_type_id})
    media = await MediaService(session, resources, caller).from_source(spec.image, field="input.imageUrl")
    existing = await session.scalar(
        select(SubjectBaseImage).where(
            SubjectBaseImage.subject_id == subject.id, SubjectBaseImage.shot_type_id == spec.shot_type_id
        )
    )
    freed: list[str] = []
    if existing is None:
        base_image = SubjectBaseImage(subject_id=subject.id, shot_type_id=spec.shot_type_id, media_id=media.id)
        session.add(base_image)
        await session.flush()
    else:
        base_image = existing
        if existing.media_id != media.id:
            previous = existing.media_id
            existing.media_id = media.id
            freed = await release_media(session, resources.storage, [previous])
    # The base images are part of the subject: changing one is a change of the subject.
    subject.updated_at = utcnow()
    return base_image, freed


async def list_base_images(
    session: AsyncSession,
    caller: Caller,
    subject_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None,
    shot_type_id: uuid.UUID | None,
) -> list[SubjectBaseImage]:
    subject = await get_visible(session, caller, Subject, subject_id, WHAT, organization_id=organization_id)
    statement = select(SubjectBaseImage).where(SubjectBaseImage.subject_id == subject.id)
    if shot_type_id is not None:
        statement = statement.where(SubjectBaseImage.shot_type_id == shot_type_id)
    return list(await session.scalars(statement.order_by(SubjectBaseImage.created_at, SubjectBaseImage.id)))


async def delete_base_image(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    subject_id: uuid.UUID,
    url: str,
    *,
    organization_id: uuid.UUID | None,
) -> list[str]:
    """Delete the subject's base image(s) with this URL (the same image may serve several shot types); answers
    the storage keys to delete once committed. The last base image gone, the subject is no longer ready."""
    subject = await get_visible(
        session, caller, Subject, subject_id, WHAT, organization_id=organization_id, for_update=True
    )
    ensure_can_modify(caller, subject, WHAT)
    key = resources.storage.key_from_url(url.strip(), resources.settings.public_base_url)
    if key is None:
        raise NotFoundError(BASE_IMAGE_WHAT)
    rows = list(
        await session.scalars(
            select(SubjectBaseImage)
            .join(MediaResource, MediaResource.id == SubjectBaseImage.media_id)
            .where(SubjectBaseImage.subject_id == subject.id, MediaResource.storage_key == key)
        )
    )
    if not rows:
        raise NotFoundError(BASE_IMAGE_WHAT)
    for row in rows:
        await session.delete(row)
    await session.flush()
    if not await has_base_images(session, subject.id):
        subject.ready = False
    subject.updated_at = utcnow()
    return await release_media(session, resources.storage, {row.media_id for row in rows})
