"""Background presets: a named background with one image per framing, in the order given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import BackgroundPreset, BackgroundPresetFraming
from db.models.enums import ShotTypeFraming
from services.caller import Caller
from services.media import MediaService, MediaSource
from services.owned import OwnedWrites, Parts
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


async def _write_framings(
    session: AsyncSession,
    resources: Resources,
    caller: Caller,
    preset: BackgroundPreset,
    framings: Sequence[FramingSpec] | None,
    replace: bool,
) -> None:
    """The preset's framings; on an update (`replace`), given ones replace every framing."""
    if framings is None:
        return
    if replace:
        await session.execute(delete(BackgroundPresetFraming).where(BackgroundPresetFraming.preset_id == preset.id))
    await _add_framings(session, resources, caller, preset, framings)
    if replace:
        # The framings are part of the preset: replacing them alone is a change of the preset too.
        preset.updated_at = utcnow()


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


BACKGROUND_PRESET_WRITES = OwnedWrites(BackgroundPreset, WHAT, parts=Parts(write=_write_framings))
