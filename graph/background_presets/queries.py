from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement

from db.models import BackgroundPreset as BackgroundPresetRow
from graph.background_presets.types import BackgroundPreset, BackgroundPresets
from graph.context import Info
from graph.validation import check_page
from services import crud
from services.background_presets import WHAT


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Background presets, by name. With organizationId: that organization's; without: your personal ones. "
            "ownerId (superusers only) narrows to that user's presets."
        )
    )
    async def background_presets(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> BackgroundPresets:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = crud.owner_filters(caller, BackgroundPresetRow, owner_id)
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                BackgroundPresetRow,
                organization_id=organization_id,
                filters=filters,
                order_by=(BackgroundPresetRow.name,),
                skip=skip,
                limit=limit,
            )
        return BackgroundPresets(data=[BackgroundPreset.of(row) for row in rows], count=count)

    @strawberry.field
    async def background_preset(
        self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> BackgroundPreset:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(
                session, caller, BackgroundPresetRow, id, WHAT, organization_id=organization_id
            )
        return BackgroundPreset.of(row)
