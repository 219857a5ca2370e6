from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement

from db.models import ResolutionPreset as ResolutionPresetRow
from graph.context import Info
from graph.resolution_presets.types import ResolutionPreset, ResolutionPresets
from graph.validation import check_page
from services import crud
from services.resolution_presets import WHAT


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Resolution presets, by name. With organizationId: that organization's; without: your personal ones. "
            "ownerId (superusers only) narrows to that user's presets."
        )
    )
    async def resolution_presets(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> ResolutionPresets:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = crud.owner_filters(caller, ResolutionPresetRow, owner_id)
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                ResolutionPresetRow,
                organization_id=organization_id,
                filters=filters,
                order_by=(ResolutionPresetRow.name,),
                skip=skip,
                limit=limit,
            )
        return ResolutionPresets(data=[ResolutionPreset.of(row) for row in rows], count=count)

    @strawberry.field
    async def resolution_preset(
        self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> ResolutionPreset:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(
                session, caller, ResolutionPresetRow, id, WHAT, organization_id=organization_id
            )
        return ResolutionPreset.of(row)
