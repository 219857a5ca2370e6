from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import ColumnElement, or_

from db.models import ShotType as ShotTypeRow
from db.models.enums import ShotTypeFraming, ViewAngle
from graph.context import Info
from graph.shot_types.types import ShotType, ShotTypes
from graph.validation import check_page
from services import crud
from services.errors import ForbiddenError
from services.shot_types import WHAT, shot_type_by_name


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Shot types. With organizationId: that organization's; without: your personal ones. includePublic adds "
            "public ones (the defaults among them). ownerId (superusers): public ones plus that user's."
        )
    )
    async def shot_types(
        self,
        info: Info,
        framing: ShotTypeFraming | None = None,
        include_public: bool = False,
        organization_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        public: bool | None = None,
        search: str | None = None,
        view_angle: ViewAngle | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> ShotTypes:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters: list[ColumnElement[bool]] = []
        if owner_id is not None:
            if not caller.is_superuser:
                raise ForbiddenError("Only superusers may filter by ownerId")
            filters.append(or_(ShotTypeRow.public.is_(True), ShotTypeRow.owner_id == owner_id))
        if framing is not None:
            filters.append(ShotTypeRow.framing == framing)
        if view_angle is not None:
            filters.append(ShotTypeRow.view_angle == view_angle)
        if public is not None:
            filters.append(ShotTypeRow.public.is_(public))
        if search:
            pattern = crud.like_pattern(search)
            filters.append(
                or_(
                    ShotTypeRow.name.ilike(pattern),
                    ShotTypeRow.shot_type_prompt_instruction.ilike(pattern),
                    ShotTypeRow.prompt.ilike(pattern),
                )
            )
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                ShotTypeRow,
                organization_id=organization_id,
                include_public=include_public,
                filters=filters,
                order_by=(ShotTypeRow.name,),
                skip=skip,
                limit=limit,
            )
        return ShotTypes(data=[ShotType.of(row) for row in rows], count=count)

    @strawberry.field
    async def shot_type(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> ShotType:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, ShotTypeRow, id, WHAT, organization_id=organization_id)
        return ShotType.of(row)

    @strawberry.field(description="The shot type with this name (case-insensitive) that you can see.")
    async def shot_type_by_name(self, info: Info, name: str, organization_id: uuid.UUID | None = None) -> ShotType:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await shot_type_by_name(session, caller, name, organization_id=organization_id)
        return ShotType.of(row)
