"""Websocket frames that real clients can read.

GraphiQL, `graphql-ws` (and so Apollo Client) and `gql` read JSON text frames only: a binary frame fails in them
with "Message is missing the 'type' property" before the first event. Strawberry's adapter sends whatever
`encode_json` answers, and the view's `encode_json` answers orjson's bytes for the HTTP path's speed, so every
websocket message goes through this adapter, which always sends text.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
