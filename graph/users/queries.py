from __future__ import annotations

import strawberry

from graph.context import Info
from graph.users.types import Organization, User


@strawberry.type
class Query:
    @strawberry.field(description="The caller.")
    async def me(self, info: Info) -> User:
        return User.of(info.context.require_caller().user)

    @strawberry.field(description="The caller's organizations, each with the caller's role.")
    async def organizations(self, info: Info) -> list[Organization]:
        caller = info.context.require_caller()
        return await User.of(caller.user).organizations(info)
