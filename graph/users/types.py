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
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.context import Info
from graph.relations import Identified, relation
from graph.users.loaders import (
    LoadedMember,
    LoadedOrganization,
    MembersByOrganizationIdLoader,
    MembershipsByUserIdLoader,
    OrganizationByIdLoader,
)
from services.caller import UserRecord


@strawberry.type(
    description="What the members of an organization see of each other's accounts: who they are, and nothing else "
    "(not whether they are superusers, nor their other organizations)."
)
class OrganizationMemberUser(Presented[LoadedMember]):
    id: uuid.UUID = strawberry.field(description="The user's id.")
    email: str = strawberry.field(description="The user's email address.")
    full_name: str | None = strawberry.field(description="The user's full name, when they gave one.")


@strawberry.type(description="A member of an organization: the user and their role in it.")
class OrganizationMember:
    user: OrganizationMemberUser = strawberry.field(description="The member.")
    role: OrganizationRole = strawberry.field(description="The member's role in the organization.")
    joined_at: datetime = strawberry.field(description="When the user became a member.")

    @classmethod
    def of(cls, row: LoadedMember) -> OrganizationMember:
        return cls(user=OrganizationMemberUser.of(row), role=row.role, joined_at=row.joined_at)


async def members_of(organizations: Sequence[Organization], info: Info) -> list[list[OrganizationMember]]:
    """The level form of `Organization.members`: every member of each organization the caller sees (a member of
    it, or a superuser), in the order they joined; an empty list for any other, whatever field led to it."""
    caller = info.context.require_caller()
    seen = [organization.id for organization in organizations if caller.sees_organization(organization.id)]
    loaded = await info.context.loaders.get(MembersByOrganizationIdLoader).load_many(seen)
    members = {
        organization_id: [OrganizationMember.of(row) for row in rows]
        for organization_id, rows in zip(seen, loaded, strict=True)
    }
    return [members.get(organization.id, []) for organization in organizations]


@strawberry.type(description="An organization, seen by one of its members (`role` is the caller's role).")
class Organization:
    id: uuid.UUID = strawberry.field(description="The organization's id (the organizationId other operations take).")
    name: str = strawberry.field(description="The organization's name.")
    role: OrganizationRole | None = strawberry.field(
        description="Your role in it; null for a superuser who is not a member."
    )
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)

    members: list[OrganizationMember] = relation(
        members_of,
        description="Who belongs to the organization, with their roles, in the order they joined. Members and "
        "superusers see them; for anyone else the list is empty.",
    )

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


@strawberry.type(description="A user account: what its owner and superusers see of it.")
class User(Presented[UserRow | UserRecord]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    email: str = strawberry.field(description="The email address the user logs in with (unique, any case).")
    full_name: str | None = strawberry.field(description="The user's full name, when they gave one.")
    is_active: bool = strawberry.field(description="False once deactivated: the user can no longer log in.")
    is_superuser: bool = strawberry.field(description="A superuser sees and may change everything.")
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)

    organizations: list[Organization] = relation(
        organizations_of, description="The organizations this user belongs to, with the user's role in each."
    )


async def _membership_organizations(
    memberships: Sequence[OrganizationMembership], info: Info
) -> list[Organization | None]:
    """The level form of `OrganizationMembership.organization`: the organization, with the membership's role."""
    rows = await info.context.loaders.get(OrganizationByIdLoader).load_many([m.organization_id for m in memberships])
    return [Organization.of(row, m.role) if row is not None else None for m, row in zip(memberships, rows, strict=True)]


@strawberry.type(description="A user's membership of an organization, with their role in it.")
class OrganizationMembership(Presented[MembershipRow]):
    id: uuid.UUID = strawberry.field(description="The membership's id.")
    organization_id: uuid.UUID = strawberry.field(description="The organization.")
    user_id: uuid.UUID = strawberry.field(description="The member.")
    role: OrganizationRole = strawberry.field(description="The member's role in the organization.")

    organization: Organization | None = relation(
        _membership_organizations, description="The organization, with the member's role; null if it is gone."
    )


@strawberry.type(description="An OAuth2-style bearer token.")
class AccessToken:
    access_token: str = strawberry.field(
        description="The JWT to send as `Authorization: Bearer <token>` (and in a websocket's connection_init)."
    )
    token_type: str = strawberry.field(default="bearer", description="Always `bearer`.")
