"""Ending sessions: `logout` revokes one token; a password change or a deactivation revokes all of a user's.

Both are state in PostgreSQL, read by the statement that authenticates every request (services/caller.py), so a
revoked token is refused at once by every API process, with no cache to expire and no extra round trip.
"""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.security import AccessTokenClaims
from db.models import RevokedToken, User


async def revoke_token(session: AsyncSession, token: AccessTokenClaims) -> None:
    """Record the token as logged out until its own expiry (after which its signature check refuses it anyway),
    and drop the records whose tokens have expired since: the table only ever holds tokens that could still be
    used. Logging out twice is harmless."""
    await session.execute(
        insert(RevokedToken)
        .values(jti=token.token_id, user_id=token.user_id, expires_at=token.expires_at)
        .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
    )
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < func.now()))


def revoke_all_tokens(user: User) -> None:
    """Void every token issued to `user` so far (their version is now behind). The caller holds the user's row
    lock (SELECT ... FOR UPDATE), so two concurrent changes raise the version twice, never once."""
    user.token_version += 1
