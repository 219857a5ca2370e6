from __future__ import annotations

import strawberry

from graph.context import Info
from graph.users.types import Organization, User, Users
from graph.validation import check_page
from services import users


@strawberry.type
class Query:
    @strawberry.field(description="The caller.")
    async def me(self, info: Info) -> User:
        return User.of(info.context.require_caller().user)

    @strawberry.field(description="The caller's organizations, each with the caller's role.")
    async def organizations(self, info: Info) -> list[Organization]:
        caller = info.context.require_caller()
        return await User.of(caller.user).organizations(info)

    @strawberry.field(description="Every user (superusers only).")
    async def users(self, info: Info, skip: int = 0, limit: int = 100) -> Users:
        info.context.require_superuser()
        check_page(skip, limit)
        async with info.context.read_session() as session:
            rows, count = await users.list_users(session, skip=skip, limit=limit)
        return Users(data=[User.of(row) for row in rows], count=count)
