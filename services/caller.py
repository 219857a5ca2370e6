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
    # Copied from the user once: visibility checks read them for every row a page shows (~1,000 times), and an
    # ORM attribute read costs several times a plain one.
    id: uuid.UUID = field(init=False)
    is_superuser: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.user.id)
        object.__setattr__(self, "is_superuser", self.user.is_superuser)

    @property
    def organization_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(self.roles)

    def is_member(self, organization_id: uuid.UUID) -> bool:
        return organization_id in self.roles

    def is_owner_of(self, organization_id: uuid.UUID) -> bool:
        return self.roles.get(organization_id) is OrganizationRole.OWNER


async def load_caller(session: AsyncSession, user_id: uuid.UUID) -> Caller | None:
    """The active user with their memberships, or None (unknown or deactivated user). One statement: every
    authenticated request starts with it."""
    rows = (
        await session.execute(
            select(User, OrganizationMembership.organization_id, OrganizationMembership.role)
            .outerjoin(OrganizationMembership, OrganizationMembership.user_id == User.id)
            .where(User.id == user_id)
        )
    ).all()
    if not rows or not rows[0][0].is_active:
        return None
    return Caller(user=rows[0][0], roles={org_id: role for _, org_id, role in rows if org_id is not None})
