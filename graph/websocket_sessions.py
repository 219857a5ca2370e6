"""Websockets outlive the moment their token was checked: each one opened with a token has it checked again, and is
closed with code 4401 (graphql-transport-ws's "Unauthorized") once the token is revoked (logout, password change,
deactivation) or has expired.

The tokens of every open websocket of a process are checked together (`TokenChecks`), every half of
SUBSCRIPTION_RECHECK_SECONDS, in one statement (services/caller.token_refusals, the same rule that authenticates
every request): a revocation is seen within the recheck period, and a thousand open sockets cost one statement per
round, not a thousand. Revocation lives in PostgreSQL, so a token revoked through any API process closes its
websockets on every process. A websocket without a token has nothing to lose and is not watched.

`GraphQLView` makes one `WebSocketSession` per connection, before Strawberry's protocol handler runs, and stops it
when the connection ends; the handler's `on_ws_connect` starts it once the token is accepted.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope
from starlette.websockets import WebSocket, WebSocketState

from core.outages import describe_outage, is_outage
from core.security import AccessTokenClaims
from services.caller import token_refusals
from services.resources import Resources

log = logging.getLogger(__name__)

# graphql-transport-ws's close code for an unauthorized client; graphql-ws (JS) reports it as such, and the legacy
# protocol's clients see a close with this code too.
UNAUTHORIZED_CLOSE_CODE = 4401
EXPIRED_REASON = "The token has expired; log in again"
# Where the connection's session is kept for `on_ws_connect` to find (Starlette's per-connection `state`).
STATE_KEY = "websocket_session"


class WebSocketSession:
    """One websocket connection's token, while it is watched (see the module's docstring)."""

    def __init__(self) -> None:
        self._websocket: WebSocket | None = None
        self._checks: TokenChecks | None = None

    def watch(self, websocket: WebSocket, resources: Resources, token: AccessTokenClaims) -> None:
        """Have `token` checked for as long as the connection lasts (once: connection_init comes once).
        `websocket` is the one the protocol handler uses: its state says whether the connection is still open."""
        if self._checks is None:
            self._websocket = websocket
            self._checks = token_checks(resources)
            self._checks.add(self, token)

    def stop(self) -> None:
        """The connection ended: stop checking."""
        if self._checks is not None:
            self._checks.discard(self)
            self._checks = None

    async def close(self, reason: str) -> None:
        websocket = self._websocket
        if websocket is not None and websocket.application_state is WebSocketState.CONNECTED:
            await websocket.close(code=UNAUTHORIZED_CLOSE_CODE, reason=reason)


class TokenChecks:
    """The watched tokens of one process (per database engine), and the task that checks them while any exist."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources
        self._watched: dict[WebSocketSession, AccessTokenClaims] = {}
        self._checker: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def watched_count(self) -> int:
        return len(self._watched)

    def add(self, session: WebSocketSession, token: AccessTokenClaims) -> None:
        self._watched[session] = token
        if self._checker is None or self._checker.done():
            self._checker = asyncio.get_running_loop().create_task(self._run(), name="websocket-token-checks")

    def discard(self, session: WebSocketSession) -> None:
        self._watched.pop(session, None)

    async def _run(self) -> None:
        """One round every half recheck period while any socket is watched; ends when none is (`add` restarts it).
        A failing round is logged and the next one tries again: PostgreSQL being unreachable is no reason to close
        anyone's socket (subscriptions wait such outages out themselves)."""
        while self._watched:
            await asyncio.sleep(self._resources.settings.subscription_recheck_seconds / 2)
            try:
                await self._round()
            except Exception as error:
                if is_outage(error):
                    log.warning("checking websockets' tokens: the database is unreachable (%s)", describe_outage(error))
                else:
                    log.exception("checking websockets' tokens failed")
        self._checker = None

    async def _round(self) -> None:
        watched = list(self._watched.items())
        if not watched:
            return
        now = datetime.now(UTC)
        async with self._resources.read_session_factory() as session:
            refusals = await token_refusals(session, [token for _, token in watched])
        for (socket, token), refusal in zip(watched, refusals, strict=True):
            reason = refusal.value if refusal is not None else EXPIRED_REASON if token.expires_at <= now else None
            if reason is not None and self._watched.pop(socket, None) is not None:
                # Each close in a task of its own: a client slow to answer the close holds up nobody else.
                closing = asyncio.get_running_loop().create_task(socket.close(reason))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)


_checks: weakref.WeakKeyDictionary[AsyncEngine, TokenChecks] = weakref.WeakKeyDictionary()


def token_checks(resources: Resources) -> TokenChecks:
    """The process's checks for `resources`' database (made on first use)."""
    checks = _checks.get(resources.engine)
    if checks is None:
        checks = _checks[resources.engine] = TokenChecks(resources)
    return checks


def open_session(scope: Scope) -> WebSocketSession:
    """A new connection's session, kept in its scope's `state` (what Starlette's `websocket.state` reads)."""
    session = WebSocketSession()
    scope.setdefault("state", {})[STATE_KEY] = session
    return session


def session_of(websocket: WebSocket) -> WebSocketSession | None:
    """The session `open_session` made for this connection (None for a websocket the view did not open)."""
    session: WebSocketSession | None = websocket.scope.get("state", {}).get(STATE_KEY)
    return session
