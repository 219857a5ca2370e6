"""Resolution presets: a named output size (width x height in pixels)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ResolutionPreset
from services.caller import Caller
from services.crud import changed_row, new_owned

WHAT = "Resolution preset"


async def create_resolution_preset(
    session: AsyncSession,
    caller: Caller,
    *,
    name: str,
    width: int,
    height: int,
    owner_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> ResolutionPreset:
    columns = {"name": name, "width": width, "height": height}
    row = new_owned(caller, ResolutionPreset, columns, owner_id=owner_id, organization_id=organization_id)
    session.add(row)
    await session.flush()
    return row


async def update_resolution_preset(
    session: AsyncSession,
    caller: Caller,
    preset_id: uuid.UUID,
    *,
    changes: dict[str, Any],
    organization_id: uuid.UUID | None,
) -> ResolutionPreset:
    """`changes` holds only the given fields (column names, plus `owner_id` / `organization_id`)."""
    row = await changed_row(
        session, caller, ResolutionPreset, preset_id, WHAT, changes, organization_id=organization_id
    )
    await session.flush()
    return row
