from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement, or_

from db.models import PosePreset as PosePresetRow
from graph.context import Info
from graph.pose_presets.types import PosePreset, PosePresets
from graph.validation import check_page
from services import crud
from services.pose_presets import WHAT


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Pose presets. With organizationId: that organization's; without: your personal ones. "
            "ownerId (superusers): that user's."
        )
    )
    async def pose_presets(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        shot_type_id: uuid.UUID | None = None,
        search: str | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> PosePresets:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = crud.owner_filters(caller, PosePresetRow, owner_id)
        if shot_type_id is not None:
            filters.append(PosePresetRow.shot_type_id == shot_type_id)
        if search:
            pattern = crud.like_pattern(search)
            filters.append(or_(PosePresetRow.name.ilike(pattern), PosePresetRow.prompt.ilike(pattern)))
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                PosePresetRow,
                organization_id=organization_id,
                filters=filters,
                order_by=(PosePresetRow.name,),
                skip=skip,
                limit=limit,
            )
        return PosePresets(data=[PosePreset.of(row) for row in rows], count=count)

    @strawberry.field
    async def pose_preset(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> PosePreset:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, PosePresetRow, id, WHAT, organization_id=organization_id)
        return PosePreset.of(row)
