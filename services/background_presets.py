"""Background presets: a named background with one image per framing, in the order given."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import BackgroundPreset, BackgroundPresetFraming
from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from services.caller import Caller
from services.crud import changed_row, new_owned
from services.media import MediaService, MediaSource
from services.resources import Resources

WHAT = "Background preset"


@dataclass(frozen=True)
class FramingSpec:
    """One entry of a preset's framings: the framing it serves (None: any) and its image."""

    framing: ShotTypeFraming | None
    image: MediaSource


def framing_image_field(index: int) -> str:
    """How the image of the index-th framing is named in BAD_USER_INPUT errors."""
    return f"input.framings.{index}.image"


async def create_background_preset(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    *,
    name: str,
    strategy: BackgroundFixStrategy | None,
    framings: Sequence[FramingSpec],
    owner_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> BackgroundPreset:
    # Permissions first, so that a refused call ingests no images.
    columns = {"name": name, "strategy": strategy}
    row = new_owned(caller, BackgroundPreset, columns, owner_id=owner_id, organization_id=organization_id)
    session.add(row)
    await session.flush()
    await _add_framings(session, resources, caller, row, framings)
    return row


async def update_background_preset(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    preset_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    framings: Sequence[FramingSpec] | None,
    organization_id: uuid.UUID | None,
) -> BackgroundPreset:
    """`changes` holds only the given fields; `framings`, when not None, replaces every framing."""
    row = await changed_row(
        session, caller, BackgroundPreset, preset_id, WHAT, changes, organization_id=organization_id
    )
    if framings is not None:
        await session.execute(delete(BackgroundPresetFraming).where(BackgroundPresetFraming.preset_id == row.id))
        await _add_framings(session, resources, caller, row, framings)
        # The framings are part of the preset: replacing them alone is a change of the preset too.
        row.updated_at = utcnow()
    await session.flush()
    return row


async def _add_framings(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    preset: BackgroundPreset,
    framings: Sequence[FramingSpec],
) -> None:
    media = MediaService(session, resources, caller)
    for position, spec in enumerate(framings):
        image = await media.from_source(spec.image, field=framing_image_field(position))
        session.add(
            BackgroundPresetFraming(
                preset_id=preset.id, position=position, framing=spec.framing, image_media_id=image.id
            )
        )
    await session.flush()
