from __future__ import annotations

from dataclasses import dataclass

import strawberry

from db.models import User as UserRow
from graph import access
from graph.access import SUPERUSER
from graph.context import Info
from graph.crud import Crud
from graph.list_options import BY_CREATED_AT, BY_UPDATED_AT, ListOptions, Sort
from graph.lists import Listing
from graph.users.types import Organization, User, organizations_of
from services.caller import Caller

USERS = Crud(UserRow, "User", User, owned=False)


@dataclass(frozen=True)
class UserArguments:
    """`users` has no arguments of its own, only the page's."""


@strawberry.type
class Query:
    @access.query("The caller.")
    async def me(self, info: Info, caller: Caller) -> User:
        return User.of(caller.user)

    @access.query("The caller's organizations, each with the caller's role.")
    async def organizations(self, info: Info, caller: Caller) -> list[Organization]:
        return (await organizations_of([caller.user], info))[0]

    users = USERS.list(
        "Every user (superusers only).",
        Listing(
            UserArguments,
            ListOptions(
                "User",
                UserRow,
                sort=(
                    Sort("NAME", "full_name", "By full name; users without one come last (first when descending)."),
                    Sort("EMAIL", "email", "By email address."),
                    BY_CREATED_AT,
                    BY_UPDATED_AT,
                ),
                search=("email", "full_name"),
                flags=("is_active", "is_superuser"),
            ),
            order_by=("created_at",),
        ),
        "Users",
        access=SUPERUSER,
    )
