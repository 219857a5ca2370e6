"""Users, organizations, memberships and tokens as GraphQL types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import islice

import strawberry

from db.models import Organization as OrganizationRow
from db.models import OrganizationMembership as MembershipRow
from db.models import User as UserRow
from db.models.enums import OrganizationRole
from graph.common.presented import Presented
from graph.context import Info
from graph.relations import Identified, relation
from graph.users.loaders import LoadedOrganization, MembershipsByUserIdLoader, OrganizationByIdLoader
from services.caller import UserRecord


@strawberry.type(description="An organization, seen by one of its members (`role` is the caller's role).")
class Organization:
    id: uuid.UUID
    name: str
    role: OrganizationRole | None
    created_at: datetime

    @classmethod
    def of(cls, row: OrganizationRow | LoadedOrganization, role: OrganizationRole | None) -> Organization:
        return cls(id=row.id, name=row.name, role=role, created_at=row.created_at)


async def organizations_of(users: Sequence[Identified], info: Info) -> list[list[Organization]]:
    """The level form of `User.organizations`: each user's memberships' organizations, with the user's role."""
    membership_lists = await info.context.loaders.get(MembershipsByUserIdLoader).load_many([u.id for u in users])
    organization_ids = [membership.organization_id for memberships in membership_lists for membership in memberships]
    rows = iter(await info.context.loaders.get(OrganizationByIdLoader).load_many(organization_ids))
    return [
        [
            Organization.of(row, m.role)
            for m, row in zip(memberships, islice(rows, len(memberships)), strict=True)
            if row is not None
        ]
        for memberships in membership_lists
    ]


@strawberry.type
class User(Presented[UserRow | UserRecord]):
    id: uuid.UUID
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    created_at: datetime

    organizations: list[Organization] = relation(
        organizations_of, description="The organizations this user belongs to, with the user's role in each."
    )


@strawberry.type
class Users:
    data: list[User]
    count: int


async def _membership_organizations(
    memberships: Sequence[OrganizationMembership], info: Info
) -> list[Organization | None]:
    """The level form of `OrganizationMembership.organization`: the organization, with the membership's role."""
    rows = await info.context.loaders.get(OrganizationByIdLoader).load_many([m.organization_id for m in memberships])
    return [Organization.of(row, m.role) if row is not None else None for m, row in zip(memberships, rows, strict=True)]


@strawberry.type
class OrganizationMembership(Presented[MembershipRow]):
    id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole

    organization: Organization | None = relation(_membership_organizations)


@strawberry.type(description="An OAuth2-style bearer token.")
class AccessToken:
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
