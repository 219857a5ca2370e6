"""Who is calling: the authenticated user with the organizations they belong to, loaded once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OrganizationMembership, User
from db.models.enums import OrganizationRole


class UserRecord(Protocol):
    """The caller's row of the users table (a plain row, read like the entity)."""

    id: uuid.UUID
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    created_at: datetime


@dataclass(frozen=True)
class Caller:
    user: UserRecord
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
    authenticated request starts with it. The user comes as a plain row of the users table (attribute access
    like the entity's, without the ORM's loading steps, which cost more than the query)."""
    connection = await session.connection()
    rows = (
        await connection.execute(
            select(*User.__table__.columns, OrganizationMembership.organization_id, OrganizationMembership.role)
            .outerjoin(OrganizationMembership, OrganizationMembership.user_id == User.id)
            .where(User.id == user_id)
        )
    ).all()
    if not rows or not rows[0].is_active:
        return None
    roles = {row.organization_id: row.role for row in rows if row.organization_id is not None}
    return Caller(user=rows[0], roles=roles)
