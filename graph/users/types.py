"""Users, organizations, memberships and tokens as GraphQL types."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import Organization as OrganizationRow
from db.models import OrganizationMembership as MembershipRow
from db.models import User as UserRow
from db.models.enums import OrganizationRole
from graph.context import Info
from graph.presenting import present
from graph.users.loaders import MembershipsByUserIdLoader, OrganizationByIdLoader


@strawberry.type(description="An organization, seen by one of its members (`role` is the caller's role).")
class Organization:
    id: uuid.UUID
    name: str
    role: OrganizationRole | None
    created_at: datetime

    @classmethod
    def of(cls, row: OrganizationRow, role: OrganizationRole | None) -> Organization:
        return cls(id=row.id, name=row.name, role=role, created_at=row.created_at)


@strawberry.type
class User:
    id: uuid.UUID
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    created_at: datetime

    @classmethod
    def of(cls, row: UserRow) -> User:
        return present(cls, row)

    @strawberry.field(description="The organizations this user belongs to, with the user's role in each.")
    async def organizations(self, info: Info) -> list[Organization]:
        memberships = await info.context.loaders.get(MembershipsByUserIdLoader).load(self.id)
        rows = await info.context.loaders.get(OrganizationByIdLoader).load_many(
            [m.organization_id for m in memberships]
        )
        return [Organization.of(row, m.role) for m, row in zip(memberships, rows, strict=True) if row is not None]


@strawberry.type
class Users:
    data: list[User]
    count: int


@strawberry.type
class OrganizationMembership:
    id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole

    @classmethod
    def of(cls, row: MembershipRow) -> OrganizationMembership:
        return present(cls, row)

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.get(OrganizationByIdLoader).load(self.organization_id)
        return Organization.of(row, self.role) if row is not None else None


@strawberry.type(description="An OAuth2-style bearer token.")
class AccessToken:
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
