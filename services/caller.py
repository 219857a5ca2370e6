"""Who is calling: the authenticated user with the organizations they belong to, loaded once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OrganizationMembership, User
from db.models.enums import OrganizationRole


@dataclass(frozen=True)
class Caller:
    user: User
    # organization id -> the caller's role in it
    roles: dict[uuid.UUID, OrganizationRole] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_superuser(self) -> bool:
        return self.user.is_superuser

    @property
    def organization_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(self.roles)

    def is_member(self, organization_id: uuid.UUID) -> bool:
        return organization_id in self.roles

    def is_owner_of(self, organization_id: uuid.UUID) -> bool:
        return self.roles.get(organization_id) is OrganizationRole.OWNER


async def load_caller(session: AsyncSession, user_id: uuid.UUID) -> Caller | None:
    """The active user with their memberships, or None (unknown or deactivated user)."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    rows = await session.execute(
        select(OrganizationMembership.organization_id, OrganizationMembership.role).where(
            OrganizationMembership.user_id == user_id
        )
    )
    return Caller(user=user, roles={org_id: role for org_id, role in rows.all()})
