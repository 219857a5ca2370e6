"""Password hashing (argon2) and access tokens (JWT, HS256)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
# Every claim a token must carry. `jti` names the token (what `logout` revokes) and `ver` is the user's token
# version when it was issued (a password change or deactivation raises the version: every earlier token is void).
# Tokens issued before these claims existed lack them and are refused: they could be neither logged out nor
# revoked by a password change, and a new login costs their holder one request.
_REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "ver"]

# Verifying against this when the email is unknown keeps a failed login's timing the same either way.
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessTokenClaims:
    """What a valid token says: whose it is, which token it is, and until when it is valid."""

    user_id: uuid.UUID
    token_id: uuid.UUID
    token_version: int
    expires_at: datetime


def create_access_token(user_id: uuid.UUID, *, secret: str, expires_minutes: int, token_version: int = 0) -> str:
    """A token for the user at their current `token_version` (a new user's is 0)."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=expires_minutes),
        "jti": uuid.uuid4().hex,
        "ver": token_version,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> AccessTokenClaims | None:
    """The claims of a well-signed, unexpired token with every claim we issue; None for anything else. Whether
    it has been revoked since is for the caller's statement to say (services/caller.py).

    A token verified once is remembered (`_verified`): a client sends the same token with every request, and
    verifying it (parsing, the HMAC, the claims' checks) took ~1 ms on the shared bench machine against ~8 us
    remembered (bench/README.md, issue 15). What made it valid cannot change but its expiry, which is checked
    again on every use, as PyJWT checks it: so a remembered token answers exactly what verifying it again would.
    Revocation is not remembered: the caller's statement reads it
    on every request."""
    key = (token, secret)
    verified = _verified.get(key)
    if verified is not None:
        if int(time.time()) < verified.expires:
            return verified.claims
        del _verified[key]
        return None
    verified = _verify(token, secret)
    if verified is None:
        return None
    if len(_verified) >= VERIFIED_TOKENS:
        del _verified[next(iter(_verified))]  # the longest remembered
    _verified[key] = verified
    return verified.claims


@dataclass(frozen=True, slots=True)
class _Verified:
    claims: AccessTokenClaims
    expires: float  # the `exp` claim, seconds since the epoch: valid while PyJWT's `now` (whole seconds) is less


# How many verified tokens each process remembers (about 250 bytes each with its claims): more than the clients of
# one process send at once.
VERIFIED_TOKENS = 10_000
_verified: dict[tuple[str, str], _Verified] = {}


def _verify(token: str, secret: str) -> _Verified | None:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": _REQUIRED_CLAIMS})
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        expires = claims["exp"]
        verified = AccessTokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            token_id=uuid.UUID(str(claims["jti"])),
            token_version=version,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
        return _Verified(verified, expires)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
        return None
