"""Create and update of an owned model, declared once per model (`OwnedWrites`): its own columns, images and
references to other rows, and the nested lists written with it (a guideline's links, a set design's images, a
background preset's framings), which the model's service writes itself (`Parts`).

The steps keep the order every such write had: permissions first (a refused call ingests no image and learns
nothing about the ids it sent), then the references, then the images, then the row's flush (which turns a unique
violation into CONFLICT where the model has a unique name); the nested lists come after the row's insert on a
create, and before the last flush on an update.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.caller import Caller
from services.crud import changed_row, ensure_visible, flush_or_conflict, new_owned
from services.media import MediaService, MediaSource
from services.resources import Resources

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Image:
    """An image the caller gives as a MediaSource (None clears it), stored as the media id `column`."""

    name: str  # its key among a create's images and an update's changes
    column: str
    field: str  # the input path a media error names


@dataclass(frozen=True)
class Reference:
    """A column naming a row of `model`, which must be one the caller can see (a hidden id reads as missing)."""

    column: str
    model: type[Any]
    field: str  # the input path BAD_USER_INPUT names
    what: str


# write(session, resources, caller, row, parts, replace): the given lists of `row` (`replace`: an update's, which
# replace the stored ones). ensure_visible(session, caller, columns, parts): every row the columns and the parts
# refer to is one the caller can see (all problems answered at once).
PartsWrite = Callable[[AsyncSession, Resources, Caller, Any, Any, bool], Awaitable[None]]
PartsCheck = Callable[[AsyncSession, Caller, dict[str, Any], Any], Awaitable[None]]


@dataclass(frozen=True)
class Parts:
    """How a model's nested lists, given to a create or update as one object, are checked and written."""

    write: PartsWrite
    ensure_visible: PartsCheck | None = None


@dataclass(frozen=True)
class OwnedWrites(Generic[RowT]):
    """Create and update of `model` (named `what` in errors): its columns, its `images`, its `references`, its
    nested `parts`; with `name_taken`, the CONFLICT message of a unique violation."""

    model: type[RowT]
    what: str
    images: tuple[Image, ...] = ()
    references: tuple[Reference, ...] = ()
    parts: Parts | None = None
    name_taken: str | None = None

    async def create(
        self,
        session: AsyncSession,
        resources: Resources,
        caller: Caller,
        *,
        columns: dict[str, Any],
        images: Mapping[str, MediaSource | None],
        parts: Any,
        owner_id: uuid.UUID | None,
        organization_id: uuid.UUID | None,
    ) -> RowT:
        """A new row of `columns`, with each image of `images` that is given (not None), then its `parts`."""
        row = new_owned(caller, self.model, columns, owner_id=owner_id, organization_id=organization_id)
        await self._ensure_references_visible(session, caller, columns, parts)
        given = {name: source for name, source in images.items() if source is not None}
        await self._store_images(session, resources, caller, row, given)
        session.add(row)
        await self._flush(session)
        if self.parts is not None:
            await self.parts.write(session, resources, caller, row, parts, False)
        return row

    async def update(
        self,
        session: AsyncSession,
        resources: Resources,
        caller: Caller,
        row_id: uuid.UUID,
        *,
        changes: dict[str, Any],
        parts: Any,
        organization_id: uuid.UUID | None,
    ) -> RowT:
        """Apply the given fields: columns (with `owner_id` / `organization_id` for a change of owner or a
        transfer, services/crud.apply_changes), images (a MediaSource, or None to clear) and parts."""
        image_names = {image.name for image in self.images}
        values = {name: value for name, value in changes.items() if name not in image_names}
        images = {name: value for name, value in changes.items() if name in image_names}
        row = await changed_row(session, caller, self.model, row_id, self.what, values, organization_id=organization_id)
        await self._ensure_references_visible(session, caller, values, parts)
        await self._store_images(session, resources, caller, row, images)
        if self.parts is not None:
            await self.parts.write(session, resources, caller, row, parts, True)
        await self._flush(session)
        return row

    async def _ensure_references_visible(
        self, session: AsyncSession, caller: Caller, values: dict[str, Any], parts: Any
    ) -> None:
        if self.parts is not None and self.parts.ensure_visible is not None:
            await self.parts.ensure_visible(session, caller, values, parts)
        named = [
            (reference.model, reference.what, {reference.field: values[reference.column]})
            for reference in self.references
            if values.get(reference.column) is not None
        ]
        await ensure_visible(session, caller, named)

    async def _store_images(
        self,
        session: AsyncSession,
        resources: Resources,
        caller: Caller,
        row: RowT,
        sources: Mapping[str, MediaSource | None],
    ) -> None:
        for image in self.images:
            if image.name not in sources:
                continue
            source = sources[image.name]
            media_id = None
            if source is not None:
                media_id = (await MediaService(session, resources, caller).from_source(source, field=image.field)).id
            setattr(row, image.column, media_id)

    async def _flush(self, session: AsyncSession) -> None:
        if self.name_taken is None:
            await session.flush()
        else:
            await flush_or_conflict(session, self.name_taken)
