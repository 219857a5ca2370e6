"""The typed per-request (or per-websocket) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from core.security import AccessTokenClaims, decode_access_token
from db.engine import read_engine
from graph.loaders import Loaders
from services.caller import Caller, TokenRefusal, load_token_caller
from services.errors import UnauthenticatedError
from services.resources import Resources
from services.visibility import ensure_superuser


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    resources: Resources
    loaders: Loaders
    caller: Caller | None = None
    # The token the caller was authenticated with (what `logout` revokes, what a websocket keeps checking).
    token: AccessTokenClaims | None = None
    # Why the caller is missing when a token was sent (bad or expired): reported on first protected access,
    # not at once, so that `login` still works with a stale token in GraphiQL's headers.
    auth_problem: str | None = None
    # Filled by Strawberry from the websocket `connection_init` payload.
    connection_params: dict[str, Any] | None = field(default=None)

    def session(self) -> AsyncSession:
        """A new short-lived session; use it in `async with` and never share it between resolvers."""
        self._park_connection()
        return self.resources.session_factory()

    def read_session(self) -> AsyncSession:
        """Like `session()`, for reading only: its statements run without a transaction around them."""
        self._park_connection()
        return self.resources.read_session_factory()

    def _park_connection(self) -> None:
        """The session takes a connection of its own: the request's is handed back meanwhile, so that the request
        never holds one while waiting for another (db/request_connection.py)."""
        connection = self.loaders.connection
        if connection is not None:
            connection.park()

    def require_caller(self) -> Caller:
        if self.caller is None:
            raise UnauthenticatedError(self.auth_problem or "Authentication required")
        return self.caller

    def require_superuser(self) -> Caller:
        caller = self.require_caller()
        ensure_superuser(caller)
        return caller

    async def authenticate(self, authorization: str | None) -> None:
        """Resolve `Authorization: Bearer <JWT>` into the caller (None when absent)."""
        if not authorization:
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self.auth_problem = "Authorization must be 'Bearer <token>'"
            return
        claims = decode_access_token(token.strip(), secret=self.resources.settings.signing_key)
        if claims is None:
            self.auth_problem = TokenRefusal.UNKNOWN_USER.value
            return
        engine = read_engine(self.resources.engine)
        found = await load_token_caller(engine, claims, connection=self.loaders.connection)
        if isinstance(found, TokenRefusal):
            self.auth_problem = found.value
            return
        self.caller, self.token = found, claims


Info = StrawberryInfo[Context, None]
