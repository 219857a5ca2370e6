"""The typed per-request (or per-websocket) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from core.security import decode_access_token
from graph.loaders import Loaders
from services.caller import Caller, load_caller
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
    # Why the caller is missing when a token was sent (bad or expired): reported on first protected access,
    # not at once, so that `login` still works with a stale token in GraphiQL's headers.
    auth_problem: str | None = None
    # Filled by Strawberry from the websocket `connection_init` payload.
    connection_params: dict[str, Any] | None = field(default=None)

    def session(self) -> AsyncSession:
        """A new short-lived session; use it in `async with` and never share it between resolvers."""
        return self.resources.session_factory()

    def read_session(self) -> AsyncSession:
        """Like `session()`, for reading only: its statements run without a transaction around them."""
        return self.resources.read_session_factory()

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
        user_id = decode_access_token(token.strip(), secret=self.resources.settings.signing_key)
        if user_id is None:
            self.auth_problem = "Invalid or expired token"
            return
        async with self.read_session() as session:
            self.caller = await load_caller(session, user_id)
        if self.caller is None:
            self.auth_problem = "Invalid or expired token"


Info = StrawberryInfo[Context, None]
