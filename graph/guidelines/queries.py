from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement

from db.models import ShootingGuidelines as GuidelinesRow
from graph.context import Info
from graph.guidelines.types import ShootingGuidelines, ShootingGuidelinesList
from graph.validation import check_page
from services import crud
from services.errors import ForbiddenError
from services.guidelines import WHAT


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Shooting guidelines. With organizationId: that organization's; without: your personal ones "
            "(superusers: all). ownerId (superusers only): that user's."
        )
    )
    async def guidelines(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> ShootingGuidelinesList:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = []
        if owner_id is not None:
            if not caller.is_superuser:
                raise ForbiddenError("Only superusers may filter by ownerId")
            filters.append(GuidelinesRow.owner_id == owner_id)
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                GuidelinesRow,
                organization_id=organization_id,
                filters=filters,
                order_by=(GuidelinesRow.name,),
                skip=skip,
                limit=limit,
            )
        return ShootingGuidelinesList(data=[ShootingGuidelines.of(row) for row in rows], count=count)

    @strawberry.field
    async def guideline(
        self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None
    ) -> ShootingGuidelines:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, GuidelinesRow, id, WHAT, organization_id=organization_id)
        return ShootingGuidelines.of(row)
