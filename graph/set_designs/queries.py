from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement, or_

from db.models import SetDesign as SetDesignRow
from graph.context import Info
from graph.set_designs.types import SetDesign, SetDesigns
from graph.validation import check_page
from services import crud
from services.set_designs import WHAT


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Set designs. With organizationId: that organization's; without: your personal ones. "
            "ownerId (superusers): that user's."
        )
    )
    async def set_designs(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        background_preset_id: uuid.UUID | None = None,
        search: str | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> SetDesigns:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = crud.owner_filters(caller, SetDesignRow, owner_id)
        if background_preset_id is not None:
            filters.append(SetDesignRow.background_preset_id == background_preset_id)
        if search:
            pattern = crud.like_pattern(search)
            filters.append(or_(SetDesignRow.name.ilike(pattern), SetDesignRow.description.ilike(pattern)))
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                SetDesignRow,
                organization_id=organization_id,
                filters=filters,
                order_by=(SetDesignRow.name,),
                skip=skip,
                limit=limit,
            )
        return SetDesigns(data=[SetDesign.of(row) for row in rows], count=count)

    @strawberry.field
    async def set_design(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> SetDesign:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, SetDesignRow, id, WHAT, organization_id=organization_id)
        return SetDesign.of(row)
