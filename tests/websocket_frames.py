"""What a websocket client receives, read as the real clients read it.

GraphiQL, `graphql-ws` (JS) and `gql` accept JSON in text frames only; `json.loads` accepts bytes too, which is how
binary frames once passed every test while every real client failed. Each websocket test reads through here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection


async def receive_message(ws: ClientConnection, within: float | None = None) -> dict[str, Any]:
    """The next message, which must be a JSON object in a text frame."""
    frame = await asyncio.wait_for(ws.recv(), within)
    assert isinstance(frame, str), f"a binary frame, which GraphiQL, graphql-ws and gql reject: {frame!r}"
    message = json.loads(frame)
    assert isinstance(message, dict), message
    return message
