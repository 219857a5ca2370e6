"""Websockets outlive the moment their token was checked: each one opened with a token keeps checking it, and is
closed with code 4401 (graphql-transport-ws's "Unauthorized") once the token is revoked (logout, password change,
deactivation) or has expired.

The check is the statement that authenticates every HTTP request (services/caller.load_token_caller), run every
SUBSCRIPTION_RECHECK_SECONDS at most (a random fraction of it, between a half and the whole, so that sockets opened
together do not check together): revocation lives in PostgreSQL, so a token revoked through any API process closes
its websockets on every process. A websocket without a token has nothing to lose and is not watched.

`GraphQLView` makes one `WebSocketSession` per connection, before Strawberry's protocol handler runs, and stops it
when the connection ends; the handler's `on_ws_connect` starts it once the token is accepted.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

from starlette.types import Scope
from starlette.websockets import WebSocket, WebSocketState

from core.outages import describe_outage, is_outage
from core.security import AccessTokenClaims
from graph.context import Context
from services.caller import TokenRefusal, load_token_caller

log = logging.getLogger(__name__)

# graphql-transport-ws's close code for an unauthorized client; graphql-ws (JS) reports it as such, and the legacy
# protocol's clients see a close with this code too.
UNAUTHORIZED_CLOSE_CODE = 4401
EXPIRED_REASON = "The token has expired; log in again"
# Where the connection's session is kept for `on_ws_connect` to find (Starlette's per-connection `state`).
STATE_KEY = "websocket_session"


class WebSocketSession:
    """Watches the token of one websocket connection (see the module's docstring)."""

    def __init__(self) -> None:
        self._watcher: asyncio.Task[None] | None = None

    def watch(self, context: Context, token: AccessTokenClaims) -> None:
        """Start checking `token` for the connection `context` belongs to (once: connection_init comes once)."""
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(
                _close_when_invalid(context, token), name="websocket-token-watch"
            )

    async def stop(self) -> None:
        """The connection ended: stop checking."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            try:
                await watcher
            except asyncio.CancelledError:
                if not watcher.cancelled():  # our own task's cancellation is swallowed, not the caller's
                    raise


async def _close_when_invalid(context: Context, token: AccessTokenClaims) -> None:
    websocket = context.request
    assert isinstance(websocket, WebSocket)
    settings = context.resources.settings
    while True:
        await asyncio.sleep(settings.subscription_recheck_seconds * random.uniform(0.5, 1.0))  # noqa: S311 - spreading load
        reason = await _why_invalid(context, token)
        if reason is not None:
            if websocket.application_state is WebSocketState.CONNECTED:
                await websocket.close(code=UNAUTHORIZED_CLOSE_CODE, reason=reason)
            return


async def _why_invalid(context: Context, token: AccessTokenClaims) -> str | None:
    """Why the token may no longer be used, or None while it may. PostgreSQL being unreachable is no reason to
    close a socket: the next check decides (subscriptions wait such outages out themselves)."""
    if token.expires_at <= datetime.now(UTC):
        return EXPIRED_REASON
    try:
        async with context.read_session() as session:
            found = await load_token_caller(session, token)
    except Exception as error:
        if not is_outage(error):
            log.exception("checking a websocket's token failed")
        else:
            log.warning("checking a websocket's token: the database is unreachable (%s)", describe_outage(error))
        return None
    return found.value if isinstance(found, TokenRefusal) else None


def open_session(scope: Scope) -> WebSocketSession:
    """A new connection's session, kept in its scope's `state` (what Starlette's `websocket.state` reads)."""
    session = WebSocketSession()
    scope.setdefault("state", {})[STATE_KEY] = session
    return session


def session_of(websocket: WebSocket) -> WebSocketSession | None:
    """The session `open_session` made for this connection (None for a websocket the view did not open)."""
    session: WebSocketSession | None = websocket.scope.get("state", {}).get(STATE_KEY)
    return session
