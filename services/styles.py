"""Styles: creation under a unique slug, updates (images, transfer, slug on request), archiving, lookup by slug,
the list filters, and the superuser operations (owner assignment, LoRA trigger)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import MediaResource, Style, StyleDataImage
from db.models.enums import StyleCategory
from services.caller import Caller
from services.crud import apply_changes, get_visible
from services.errors import ForbiddenError, NotFoundError
from services.media import MediaService, MediaSource
from services.resources import Resources
from services.slugs import add_with_unique_slug, insert_with_unique_slug
from services.visibility import ensure_can_modify, ensure_member, object_filter

WHAT = "Style"
COVER_IMAGE_FIELD = "input.coverImage"


def data_image_field(index: int) -> str:
    """How the index-th data image is named in BAD_USER_INPUT errors."""
    return f"input.dataImages.{index}"


class StyleFilters(Protocol):
    """The `styles` list filters; None means "not filtered" except for `archived` (see `style_filters`). Its
    `search` is the list's (graph/styles/queries.STYLE_OPTIONS, with `any_tag_like`)."""

    archived: bool | None
    demo: bool | None
    enabled: bool | None
    owner_id: uuid.UUID | None
    public: bool | None
    style_category: StyleCategory | None


def style_filters(filters: StyleFilters, *, archived_decided: bool = False) -> list[ColumnElement[bool]]:
    """WHERE conditions narrowing the visible set. Archived styles leave default lists: `archived` omitted or false
    shows only non-archived ones, true only archived ones; omitted while another filter decides on archived
    (`archived_decided`: the list's `filter.archived`), that filter alone decides."""
    conditions: list[ColumnElement[bool]] = []
    if filters.archived is not None or not archived_decided:
        conditions.append(Style.archived.is_(bool(filters.archived)))
    for column, value in (
        (Style.demo, filters.demo),
        (Style.enabled, filters.enabled),
        (Style.public, filters.public),
    ):
        if value is not None:
            conditions.append(column.is_(value))
    if filters.owner_id is not None:
        conditions.append(Style.owner_id == filters.owner_id)
    if filters.style_category is not None:
        conditions.append(Style.style_category == filters.style_category)
    return conditions


def any_tag_like(pattern: str) -> ColumnElement[bool]:
    """The styles with a tag matching a LIKE pattern (a list's search looks in tags too)."""
    # One tag at a time (unnest), so that a search never matches across the boundary of two tags.
    tag = func.unnest(Style.tags).column_valued("tag")
    return exists(select(tag).where(tag.ilike(pattern)))


async def create_style(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    *,
    columns: dict[str, Any],
    cover_image: MediaSource,
    data_images: Sequence[MediaSource],
    organization_id: uuid.UUID | None,
) -> Style:
    """A new style owned by the caller. `columns` are the plain fields (name, tags, ...); the slug is made from
    the name and is unique across every style, even when many creates with one name race."""
    # Permissions first, so that a refused call ingests no images.
    if organization_id is not None:
        ensure_member(caller, organization_id)
    if columns.get("local_model_path") is not None and not caller.is_superuser:
        raise ForbiddenError("Only superusers may set localModelPath")
    media = MediaService(session, resources, caller)
    cover = await media.from_source(cover_image, field=COVER_IMAGE_FIELD)
    images = [await media.from_source(source, field=data_image_field(i)) for i, source in enumerate(data_images)]

    def make(slug: str) -> Style:
        return Style(
            **columns, slug=slug, owner_id=caller.id, organization_id=organization_id, cover_image_media_id=cover.id
        )

    row = await add_with_unique_slug(session, columns["name"], make, what=WHAT)
    _add_data_images(session, row, images)
    await session.flush()
    return row


async def update_style(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    style_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    regenerate_slug: bool,
    organization_id: uuid.UUID | None,
) -> Style:
    """`changes` holds only the given fields: plain columns, `organization_id` (a transfer), `cover_image` (a
    MediaSource, or None to clear) and `data_images` (a list that replaces every data image)."""
    row = await get_visible(session, caller, Style, style_id, WHAT, organization_id=organization_id, for_update=True)
    ensure_can_modify(caller, row, WHAT)
    values = dict(changes)
    if "demo" in values and not caller.is_superuser:
        raise ForbiddenError("Only superusers may mark demo styles")
    cover_given = "cover_image" in values
    cover_image: MediaSource | None = values.pop("cover_image", None)
    data_images: Sequence[MediaSource] | None = values.pop("data_images", None)
    apply_changes(caller, row, values, WHAT)

    media = MediaService(session, resources, caller)
    if cover_given:
        row.cover_image_media_id = (
            (await media.from_source(cover_image, field=COVER_IMAGE_FIELD)).id if cover_image is not None else None
        )
    if data_images is not None:
        images = [await media.from_source(source, field=data_image_field(i)) for i, source in enumerate(data_images)]
        await session.execute(delete(StyleDataImage).where(StyleDataImage.style_id == row.id))
        _add_data_images(session, row, images)
        # The data images are part of the style: replacing them alone is a change of the style too.
        row.updated_at = utcnow()
    await session.flush()
    if regenerate_slug:
        await _regenerate_slug(session, row)
    return row


async def _regenerate_slug(session: AsyncSession, row: Style) -> None:
    """A new slug from the (possibly new) name, tried candidate by candidate like a create's."""

    current = row.slug

    async def assign(slug: str) -> Style:
        # A statement rather than an attribute change: a refused candidate rolls its savepoint back, and the
        # ORM would expire the row with it.
        if slug != current:
            await session.execute(update(Style).where(Style.id == row.id).values(slug=slug, updated_at=utcnow()))
        return row

    await insert_with_unique_slug(session, row.name, assign, what=WHAT)
    await session.refresh(row)


def _add_data_images(session: AsyncSession, row: Style, images: Sequence[MediaResource]) -> None:
    for position, image in enumerate(images):
        session.add(StyleDataImage(style_id=row.id, media_id=image.id, position=position))


async def style_by_slug(
    session: AsyncSession, caller: Caller, slug: str, *, organization_id: uuid.UUID | None
) -> Style:
    """The style with this slug, visible to the caller exactly as `get_visible` decides for ids."""
    conditions: list[ColumnElement[bool]] = [Style.slug == slug.strip().lower(), object_filter(caller, Style)]
    if organization_id is not None:
        ensure_member(caller, organization_id)
        conditions.append(Style.organization_id == organization_id)
    row = await session.scalar(select(Style).where(*conditions))
    if row is None:
        raise NotFoundError(WHAT)
    return row


async def set_archived(
    session: AsyncSession, caller: Caller, style_id: uuid.UUID, archived: bool, *, organization_id: uuid.UUID | None
) -> Style:
    """Archive or unarchive (idempotent): whoever may change the style may do it."""
    row = await get_visible(session, caller, Style, style_id, WHAT, organization_id=organization_id, for_update=True)
    ensure_can_modify(caller, row, WHAT)
    if row.archived != archived:
        row.archived = archived
        await session.flush()
    return row
