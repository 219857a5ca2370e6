"""Who is calling: the authenticated user with the organizations they belong to, loaded once per request."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ARRAY, Uuid, any_, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.security import AccessTokenClaims
from db.direct_select import DirectSelect
from db.models import OrganizationMembership, RevokedToken, User
from db.models.enums import OrganizationRole
from db.request_connection import RequestConnection


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

    def sees_organization(self, organization_id: uuid.UUID) -> bool:
        """An organization itself (its members included) is seen by its members and by superusers only."""
        return self.is_superuser or organization_id in self.roles

    def joined(self, organization_id: uuid.UUID, role: OrganizationRole) -> Caller:
        """The caller once they hold `role` in the organization: what the rest of a request that made them a
        member (createOrganization) must see."""
        return Caller(user=self.user, roles={**self.roles, organization_id: role})


class TokenRefusal(enum.Enum):
    """Why a well-signed, unexpired token names no caller; the value is the message the client reads."""

    UNKNOWN_USER = "Invalid or expired token"
    REVOKED = "This token was revoked (logout, password change or deactivation); log in again"


class CallerRow(NamedTuple):
    """One row of the caller's statement: the user's columns, one membership (None for a user without any), and
    whether the token was logged out."""

    email: str
    hashed_password: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    token_version: int
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    organization_id: uuid.UUID | None
    role: OrganizationRole | None
    token_revoked: bool


# The user's row, one row per membership, and whether the token was logged out: the EXISTS rides in the same
# statement (an index lookup PostgreSQL runs once, as an InitPlan), so checking revocation adds no round trip.
# Without a token (`token_id` NULL) nothing matches and `token_revoked` is false. Built and compiled once per
# process, and run on the driver, on the request's connection (db/direct_select.py): building the SELECT, an ORM
# session and a pool checkout per request cost more CPU than the rest of a small request (bench/auth.py). Nothing
# about the caller is cached between requests: every request reads the user's row and the revocations as they are
# now, so a logout, a password change or a deactivation is seen by the next request, in every process.
CALLER = DirectSelect(
    select(
        *User.__table__.columns,
        OrganizationMembership.organization_id,
        OrganizationMembership.role,
        exists().where(RevokedToken.jti == bindparam("token_id", type_=Uuid())).label("token_revoked"),
    )
    .outerjoin(OrganizationMembership, OrganizationMembership.user_id == User.id)
    .where(User.id == bindparam("user_id")),
    parameter=("token_id", "user_id"),
    row_type=CallerRow,
)


async def _caller_rows(session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID | None) -> list[Any]:
    """The caller's rows inside a session's transaction (a job reading its task's owner)."""
    connection = await session.connection()
    result = await connection.execute(CALLER.statement, {"user_id": user_id, "token_id": token_id})
    return list(result.all())


def _caller_of(rows: list[Any]) -> Caller:
    roles = {row.organization_id: row.role for row in rows if row.organization_id is not None}
    return Caller(user=rows[0], roles=roles)


async def load_caller(session: AsyncSession, user_id: uuid.UUID) -> Caller | None:
    """The active user with their memberships, or None (unknown or deactivated user). One statement. The user
    comes as a plain row of the users table (attribute access like the entity's, without the ORM's loading steps,
    which cost more than the query). For a request, `load_token_caller` also checks the token."""
    rows = await _caller_rows(session, user_id, None)
    if not rows or not rows[0].is_active:
        return None
    return _caller_of(rows)


async def load_token_caller(
    engine: AsyncEngine, token: AccessTokenClaims, *, connection: RequestConnection | None = None
) -> Caller | TokenRefusal:
    """The caller a decoded token names, or why it names none: the user is unknown or deactivated, the token was
    logged out, or the user's token version has moved past it (password change, deactivation). One statement,
    on the driver (on the request's `connection` when given): every authenticated request starts with it. Give
    it an engine in autocommit mode (db/engine.read_engine): it is a read, and needs no transaction."""
    rows = await CALLER.rows(engine, token.token_id, token.user_id, connection=connection)
    refusal = _refusal(rows[0] if rows else None, token, revoked=bool(rows) and rows[0].token_revoked)
    return refusal if refusal is not None else _caller_of(rows)


def _refusal(user: Any | None, token: AccessTokenClaims, *, revoked: bool) -> TokenRefusal | None:
    """The one rule for whether a token (well signed, unexpired) may still be used, given its user's row (None
    when there is none) and whether it was logged out."""
    if user is None:
        return TokenRefusal.UNKNOWN_USER
    if revoked or user.token_version != token.token_version:
        return TokenRefusal.REVOKED
    if not user.is_active:
        return TokenRefusal.UNKNOWN_USER
    return None


async def token_refusals(session: AsyncSession, tokens: Sequence[AccessTokenClaims]) -> list[TokenRefusal | None]:
    """For each token, why it may no longer be used, or None while it may: `load_token_caller`'s verdict for many
    tokens (the open websockets of a process) in one statement."""
    if not tokens:
        return []
    user_ids = list({token.user_id for token in tokens})
    logged_out = (
        select(func.array_agg(RevokedToken.jti))
        .where(RevokedToken.user_id == User.id, RevokedToken.jti == any_(bindparam("jtis", type_=ARRAY(Uuid()))))
        .scalar_subquery()
    )
    statement = select(User.id, User.is_active, User.token_version, logged_out.label("logged_out")).where(
        User.id == any_(bindparam("user_ids", type_=ARRAY(Uuid())))
    )
    connection = await session.connection()
    result = await connection.execute(statement, {"user_ids": user_ids, "jtis": [token.token_id for token in tokens]})
    users = {row.id: row for row in result}
    revoked = {jti for row in users.values() for jti in row.logged_out or ()}
    return [_refusal(users.get(token.user_id), token, revoked=token.token_id in revoked) for token in tokens]
