"""The ASGI application: `/graphql` (HTTP, multipart uploads, websockets), health, token endpoint, media."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from core.settings import Settings, get_settings
from core.storage import media_route
from graph.context import Context
from graph.graphiql import LoginExample, graphiql_static_mount, render_graphiql_page
from graph.http import access_token, healthz, readyz
from graph.loaders import Loaders
from graph.schema import build_schema
from graph.uploads import UploadGuard
from graph.websockets import TextFrameWebSocketAdapter
from services.resources import Resources

GRAPHQL_PATH = "/graphql"


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, *args: Any, graphiql_login: LoginExample | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.graphiql_login = graphiql_login

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> Context:
        resources: Resources = request.app.state.resources
        context = Context(
            request=request, response=response, resources=resources, loaders=Loaders(resources.session_factory)
        )
        if isinstance(request, Request):
            await context.authenticate(request.headers.get("authorization"))
        return context

    async def on_ws_connect(self, context: Context) -> dict[str, Any] | None:
        """Websocket auth: the token travels in the `connection_init` payload, as `Authorization`."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization")
        if authorization is not None:
            await context.authenticate(authorization if isinstance(authorization, str) else "")
            if context.caller is None:
                raise ConnectionRejectionError({"message": context.auth_problem, "code": "UNAUTHENTICATED"})
        return None

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(render_graphiql_page(GRAPHQL_PATH, self.graphiql_login))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    # The cyclic collector runs when the count of container objects allocated and not yet freed passes the
    # threshold. Requests free almost everything they allocate, by reference counting, but 16 requests in flight
    # hold ~100,000 objects between them, so with the default (700), and still with 50,000, the collector ran
    # every few requests, each run walking every live object of every request in flight (measured: 2.5 ms of a
    # guidelines page's ~20 ms under 16 clients). At 200,000 it runs only when objects really accumulate (measured:
    # 3 runs of ~100 ms in ~470 such requests), which still bounds the garbage that reference cycles can hold.
    gc.set_threshold(200_000, 20, 20)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    resources = Resources.open(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await resources.close()

    # GraphiQL's Login example may name the first superuser only when that is the published development default;
    # otherwise the page keeps placeholders, so no configured password is ever served.
    development_login = settings.development_superuser_login
    view = GraphQLView(
        build_schema(settings),
        multipart_uploads_enabled=True,
        keep_alive=True,
        keep_alive_interval=15,
        graphiql_login=LoginExample(*development_login) if development_login else None,
    )
    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, view, methods=["GET", "POST"]),
            WebSocketRoute(GRAPHQL_PATH, view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/api/v1/login/access-token", access_token, methods=["POST"]),
            media_route(resources.storage),
            graphiql_static_mount(),
        ],
        middleware=[
            Middleware(UploadGuard, path=GRAPHQL_PATH, max_body_bytes=settings.upload_max_request_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.resources = resources
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn graph.app:app` builds the app on first access, so importing this module (tests, schema export)
    # opens no connections.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
