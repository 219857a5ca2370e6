"""Turning credentials into access tokens, shared by the `login` mutation and the OAuth2 endpoint."""

from __future__ import annotations

from core.security import create_access_token
from services.rate_limit import FailureLimiter
from services.resources import Resources
from services.users import authenticate


async def issue_token_for_credentials(resources: Resources, *, email: str, password: str, client: str) -> str:
    settings = resources.settings
    limiter = FailureLimiter(
        resources.redis, prefix=resources.redis_key("login-attempts"), limit=settings.login_attempts_per_minute
    )
    async with resources.session_factory() as session:
        user = await authenticate(session, limiter, email=email, password=password, client=client)
    return create_access_token(
        user.id,
        secret=settings.signing_key,
        expires_minutes=settings.access_token_expire_minutes,
        token_version=user.token_version,
    )
