"""An ASGI app served by uvicorn in the test's own event loop, on a loopback port the system picks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

# A guard against a hang at shutdown, not a measurement.
STOP_TIMEOUT_SECONDS = 30


@asynccontextmanager
async def served(app: ASGIApp, **config: Any) -> AsyncIterator[str]:
    """Yields `127.0.0.1:<port>`. Proxy headers are off, as `api_command` and the Dockerfile start the API: the app
    alone reads X-Forwarded-For (core/client_address.py). `config`: more uvicorn options (`http=...`)."""
    options = {"log_level": "warning", "lifespan": "off", "proxy_headers": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # surfaces why the server could not start
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, STOP_TIMEOUT_SECONDS)
