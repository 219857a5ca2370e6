from __future__ import annotations

import uuid

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.context import Info
from graph.styles.types import Style, StyleAdmin, Styles, StylesAdmin
from graph.validation import check_page
from services import crud
from services.styles import WHAT, StyleFilters, style_by_slug, style_filters


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Styles, newest first. With organizationId: that organization's; without: your personal ones "
            "(superusers: all). Archived styles are left out unless archived is given (true: only archived, false: "
            "only non-archived). public, demo, enabled, styleCategory and ownerId narrow that set; search looks "
            "(case-insensitively) in name, description, brand, promptKeywords and each tag."
        )
    )
    async def styles(
        self,
        info: Info,
        organization_id: uuid.UUID | None = None,
        archived: bool | None = None,
        demo: bool | None = None,
        enabled: bool | None = None,
        owner_id: uuid.UUID | None = None,
        public: bool | None = None,
        search: str | None = None,
        style_category: StyleCategory | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> Styles:
        caller = info.context.require_caller()
        check_page(skip, limit)
        filters = StyleFilters(
            archived=archived,
            demo=demo,
            enabled=enabled,
            owner_id=owner_id,
            public=public,
            search=search,
            style_category=style_category,
        )
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session,
                caller,
                StyleRow,
                organization_id=organization_id,
                filters=style_filters(filters),
                skip=skip,
                limit=limit,
            )
        return Styles(data=[Style.of(row) for row in rows], count=count)

    @strawberry.field(description="A style you can see (archived ones included).")
    async def style(self, info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Style:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, StyleRow, id, WHAT, organization_id=organization_id)
        return Style.of(row)

    @strawberry.field(description="The style with this slug, visible as for `style`.")
    async def style_by_slug(self, info: Info, slug: str, organization_id: uuid.UUID | None = None) -> Style:
        caller = info.context.require_caller()
        async with info.context.read_session() as session:
            row = await style_by_slug(session, caller, slug, organization_id=organization_id)
        return Style.of(row)

    @strawberry.field(
        description=(
            "Every style, archived ones included, newest first; organizationId narrows to one organization "
            "(superusers only)."
        )
    )
    async def admin_styles(
        self, info: Info, organization_id: uuid.UUID | None = None, skip: int = 0, limit: int = 100
    ) -> StylesAdmin:
        caller = info.context.require_superuser()
        check_page(skip, limit)
        async with info.context.read_session() as session:
            rows, count = await crud.list_visible(
                session, caller, StyleRow, organization_id=organization_id, skip=skip, limit=limit
            )
        return StylesAdmin(data=[StyleAdmin.of(row) for row in rows], count=count)

    @strawberry.field(description="Any style by id, with admin fields (superusers only).")
    async def admin_style(self, info: Info, id: uuid.UUID) -> StyleAdmin:
        caller = info.context.require_superuser()
        async with info.context.read_session() as session:
            row = await crud.get_visible(session, caller, StyleRow, id, WHAT)
        return StyleAdmin.of(row)
