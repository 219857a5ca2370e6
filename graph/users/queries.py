from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

import strawberry

from db.models import User as UserRow
from graph import access
from graph.access import SUPERUSER
from graph.context import Info
from graph.crud import Crud
from graph.list_options import BY_CREATED_AT, BY_UPDATED_AT, ListOptions, Sort
from graph.lists import Listing
from graph.users.loaders import OrganizationByIdLoader
from graph.users.types import Organization, User, organizations_of
from services.caller import Caller
from services.errors import NotFoundError

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

    @access.query(
        "One of the caller's organizations, with the caller's role in it; superusers may read any (their role is "
        "null where they do not belong). NOT_FOUND for an organization the caller does not belong to."
    )
    async def organization(
        self,
        info: Info,
        caller: Caller,
        id: Annotated[uuid.UUID, strawberry.argument(description="The organization's id.")],
    ) -> Organization:
        # Refused before any read: whether an organization exists is no business of a non-member.
        if not caller.sees_organization(id):
            raise NotFoundError("Organization")
        row = await info.context.loaders.get(OrganizationByIdLoader).load(id)
        if row is None:
            raise NotFoundError("Organization")
        return Organization.of(row, caller.roles.get(id))

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
