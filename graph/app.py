"""The ASGI application: `/graphql` (HTTP, multipart uploads, websockets), health, token endpoint, media."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from core.collector import CollectWhenIdle, bound_automatic_collections, freeze_start_up
from core.logs import configure_logging
from core.outages import describe_outage, is_outage
from core.settings import Settings, get_settings
from core.storage import media_route
from core.tracing import API_SERVICE, start_tracing
from db.engine import read_engine
from db.request_connection import RequestConnection
from graph.context import Context
from graph.cost_limits import RATE_LIMITED
from graph.errors import INTERNAL_MESSAGE, with_code
from graph.graphiql import LoginExample, graphiql_static_mount, render_graphiql_page
from graph.http import access_token, healthz, readyz
from graph.loaders import Loaders
from graph.metrics import METRICS_PATH, metrics_endpoint, metrics_registry, operation_names
from graph.observed import ObservedRequests
from graph.persisted_queries import PersistedQueries, PersistedQueryRefused
from graph.refusals import BAD_REQUEST, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, refusal, unavailable
from graph.schema import Schema, build_schema
from graph.slow_clients import BodyReadTimeout, SlowBodyGuard
from graph.traced_requests import TracedRequests
from graph.uploads import BodyTooLarge, RequestGuard
from graph.websocket_sessions import open_session, session_of
from graph.websockets import TextFrameWebSocketAdapter
from services.errors import QueryTooComplexError
from services.resources import Resources

GRAPHQL_PATH = "/graphql"
# Where a request's RequestConnection is kept (request.state), between get_context and the end of __call__.
_CONNECTION = "request_connection"

logger = logging.getLogger("graph.app")


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(
        self,
        schema: Schema,
        *args: Any,
        persisted_queries: PersistedQueries,
        graphiql_login: LoginExample | None = None,
        execution_timeout_seconds: float = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, *args, **kwargs)
        self.documents = schema.pipeline_parts.documents
        self.persisted_queries = persisted_queries
        self.graphiql_login = graphiql_login
        self.execution_timeout = execution_timeout_seconds or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Its token is checked for as long as the connection lasts (graph/websocket_sessions.py).
            session = open_session(scope)
            try:
                await super().__call__(scope, receive, send)
            finally:
                session.stop()
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._respond(request)
        finally:
            # The response is made: the connection its reads shared goes back to the pool before it is sent.
            connection: RequestConnection | None = getattr(request.state, _CONNECTION, None)
            if connection is not None:
                await connection.release()
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        # Strawberry answers its own refusals (HTTPException) as text/plain, and lets any other failure become a
        # 500: here each is a GraphQL response with a code (graph/refusals.py).
        try:
            response = await self.run(request)
        except HTTPException as refused:
            allow = {"Allow": "GET, POST"} if refused.status_code == 405 else None
            response = refusal(refused.status_code, refused.reason, headers=allow)
        except (BodyTooLarge, BodyReadTimeout):
            raise  # RequestGuard and SlowBodyGuard answer them
        except Exception as error:
            if is_outage(error):
                logger.warning("Request refused, a backing service is unreachable: %s", describe_outage(error))
                response = unavailable()
            else:
                # A bug before execution (execution masks its own): still a GraphQL answer, with no detail.
                logger.exception("Unexpected error before execution")
                response = refusal(500, INTERNAL_MESSAGE)
        return response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses nesting deeper than 1024 (the standard library's parser overflows the stack first), which
        # the view reports as a body that is not JSON.
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        # A request body, GET's `variables`/`extensions` and a multipart `operations`/`map` are all JSON objects (or a
        # batch's list); a bare string or number would otherwise fail deep inside Strawberry as an AttributeError.
        try:
            decoded = self.decode_json(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, f"The request is not valid JSON: {error.msg}") from error
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, f"Expected a JSON object, got {type(decoded).__name__}")
        return decoded

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # The one place a request's query is settled: a persisted query's hash is exchanged for its text here,
        # so everything below treats the stored query as a sent one (graph/persisted_queries.py).
        try:
            request_data = await self.persisted_queries.resolve(request_data)
        except PersistedQueryRefused as refused:
            _refusal_status([refused.error], sub_response)
            return ExecutionResult(data=None, errors=[refused.error])
        if isinstance(request_data.query, str):
            syntax_error = await self.documents.parse_off_loop(request_data.query)
            if syntax_error is not None:
                return ExecutionResult(data=None, errors=[with_code(syntax_error)])
        try:
            async with asyncio.timeout(self.execution_timeout) as deadline:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            if not deadline.expired():
                raise
            # Stopped wherever it was: a mutation's transaction is rolled back, so nothing is half written.
            message = f"The operation ran longer than the {self.execution_timeout:g} s limit; ask for less at once"
            too_long = GraphQLError(message, extensions={"code": QueryTooComplexError.code})
            return ExecutionResult(data=None, errors=[too_long])
        except HTTPException as refused:
            # GET may only read: a mutation over GET is a wrong method (405), as Apollo Server answers it.
            if isinstance(refused.__cause__, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise HTTPException(405, "Mutations are only accepted over POST") from refused
            raise
        if result.data is None and result.errors:
            _refusal_status(result.errors, sub_response)
        return result

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query has no `query` either; it is answered even when a browser asks for it.
        return super().should_render_graphql_ide(request) and not request.query_params.get("extensions")

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> Context:
        resources: Resources = request.app.state.resources
        connection: RequestConnection | None = None
        if isinstance(request, Request):
            # One connection for the request's driver reads (db/request_connection.py), handed back by __call__.
            connection = RequestConnection(read_engine(resources.engine).sync_engine)
            setattr(request.state, _CONNECTION, connection)
        loaders = Loaders(resources.session_factory, connection)
        context = Context(request=request, response=response, resources=resources, loaders=loaders)
        if isinstance(request, Request):
            await context.authenticate(request.headers.get("authorization"))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Websocket auth: the token travels in the `connection_init` payload, as `Authorization`."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization")
        if authorization is not None:
            try:
                await context.authenticate(authorization if isinstance(authorization, str) else "")
            except Exception as error:
                if not is_outage(error):
                    raise
                logger.warning("Websocket refused, a backing service is unreachable: %s", describe_outage(error))
                raise ConnectionRejectionError({"message": UNAVAILABLE_MESSAGE, "code": SERVICE_UNAVAILABLE}) from error
            if context.caller is None:
                raise ConnectionRejectionError({"message": context.auth_problem, "code": "UNAUTHENTICATED"})
            websocket, token = context.request, context.token
            if isinstance(websocket, WebSocket) and token is not None and (session := session_of(websocket)):
                session.watch(websocket, context.resources, token)
        acknowledged: UnsetType = UNSET  # a bare {"type": "connection_ack"}, with no payload
        return acknowledged

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(render_graphiql_page(GRAPHQL_PATH, self.graphiql_login))


def _code(error: GraphQLError) -> object:
    return (error.extensions or {}).get("code")


def _refusal_status(errors: list[GraphQLError], sub_response: Response) -> None:
    """The HTTP status of an operation refused before it ran (docs/api.md, the refusal table)."""
    if any(error.path is not None for error in errors):
        return  # a field failed while the operation ran: HTTP 200, the error says why
    codes = {_code(error) for error in errors}
    if codes == {BAD_REQUEST}:
        sub_response.status_code = 400  # a malformed request (several operations, no operationName)
    elif codes == {RATE_LIMITED}:
        sub_response.status_code = 429  # the caller's cost budget is spent (graph/cost_limits.py)
        retry_after = (errors[0].extensions or {}).get("retryAfter")
        sub_response.headers["Retry-After"] = str(retry_after)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    # The cyclic collector runs when no request is in flight (CollectWhenIdle, below): requests leave nothing in
    # reference cycles (graph/execution/acyclic.py), so a run during one walks its objects for nothing, stalling all
    # of them (at the former threshold of 200,000, 16 nested 500-row pages saw runs of 55-480 ms freeing nothing).
    # CPython's automatic collection stays as the bound of a process never idle (core/collector.py).
    bound_automatic_collections()
    configure_logging(settings)
    # Before the schema is built: its operation extension and the request middleware exist only when tracing is on.
    tracing = start_tracing(API_SERVICE)
    operation_names.limit = settings.metrics_operation_names
    resources = Resources.open(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The app is built (schema, plans' schema facts, settings, pools' objects): none of it is ever garbage.
        freeze_start_up("API")
        try:
            # What a killed API process left in its temp folder: with a bucket, no worker sweeps this machine's disk.
            removed = await resources.storage.remove_stale_temp_files()
            if removed:
                logger.info("Removed %d abandoned staged file(s)", removed)
            yield
        finally:
            await resources.close()
            if tracing is not None:
                await asyncio.to_thread(tracing.flush)  # what the batch processor holds, before the process ends

    # GraphiQL's Login example may name the first superuser only when that is the published development default;
    # otherwise the page keeps placeholders, so no configured password is ever served.
    development_login = settings.development_superuser_login
    persisted_queries = PersistedQueries(
        resources.redis,
        key_prefix=resources.redis_key("persisted-query"),
        ttl_seconds=settings.persisted_query_ttl_seconds,
    )
    view = GraphQLView(
        build_schema(settings),
        persisted_queries=persisted_queries,
        multipart_uploads_enabled=True,
        keep_alive=True,
        keep_alive_interval=15,
        graphiql_login=LoginExample(*development_login) if development_login else None,
        execution_timeout_seconds=settings.execution_timeout_seconds,
    )
    app = Starlette(
        routes=[
            # Every method reaches the view, so that a PUT is refused as GraphQL (405, JSON), not by the router.
            Route(GRAPHQL_PATH, view),
            WebSocketRoute(GRAPHQL_PATH, view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route(METRICS_PATH, metrics_endpoint),
            Route("/api/v1/login/access-token", access_token, methods=["POST"]),
            media_route(resources.storage),
            graphiql_static_mount(),
        ],
        middleware=[
            Middleware(CollectWhenIdle),  # outermost: a request is in flight until its response is sent
            *([Middleware(TracedRequests, tracer=tracing.tracer)] if tracing is not None else []),
            Middleware(
                ObservedRequests,
                graphql_path=GRAPHQL_PATH,
                body_guards=(
                    SlowBodyGuard(
                        idle_timeout_seconds=settings.body_read_timeout_seconds,
                        min_bytes_per_second=settings.body_min_bytes_per_second,
                    ),
                    RequestGuard(
                        path=GRAPHQL_PATH,
                        request_max_bytes=settings.request_max_bytes,
                        upload_max_bytes=settings.upload_max_request_bytes,
                    ),
                ),
            ),
        ],
        lifespan=lifespan,
    )
    app.state.resources = resources
    app.state.metrics_registry = metrics_registry(resources)
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn graph.app:app` builds the app on first access, so importing this module (tests, schema export)
    # opens no connections.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
