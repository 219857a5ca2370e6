"""Resolution presets: a named output size (width x height in pixels)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ResolutionPreset
from services.caller import Caller
from services.crud import apply_changes, get_visible
from services.visibility import ensure_member, resolve_new_owner

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
    if organization_id is not None:
        ensure_member(caller, organization_id)
    row = ResolutionPreset(
        name=name,
        width=width,
        height=height,
        owner_id=resolve_new_owner(caller, owner_id),
        organization_id=organization_id,
    )
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
    row = await get_visible(
        session, caller, ResolutionPreset, preset_id, WHAT, organization_id=organization_id, for_update=True
    )
    apply_changes(caller, row, changes, WHAT)
    await session.flush()
    return row
