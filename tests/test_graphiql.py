"""GraphiQL served by the API itself: GET /graphql in a browser gets a page whose every asset is ours.

The app under test is wired the way the real one is (a Strawberry view whose render_graphql_ide returns our
page, the static mount, Route + WebSocketRoute at /graphql) and served by uvicorn on a loopback port.
`build_app` is also what the manual headless-browser check runs:
    PYTHONPATH=. .venv/bin/uvicorn --app-dir tests test_graphiql:build_app --factory --port 8765
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from graph.graphiql import (
    GRAPHIQL_STATIC_PATH,
    STATIC_DIR,
    TOKEN_PLACEHOLDER,
    graphiql_static_mount,
    render_graphiql_page,
)
from tests.websocket_frames import receive_message


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"

    @strawberry.field
    def authorization(self, info: strawberry.Info) -> str | None:
        """The Authorization header this request carried, to see what GraphiQL sends."""
        return info.context["request"].headers.get("authorization")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int = 3) -> AsyncIterator[int]:
        for number in range(1, to + 1):
            yield number

    @strawberry.subscription
    async def authorization(self, info: strawberry.Info) -> AsyncIterator[str | None]:
        """The Authorization entry of the connection_init payload, where GraphiQL puts its headers."""
        yield (info.context.get("connection_params") or {}).get("Authorization")


class GraphQLWithOfflineIDE(GraphQL):
    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(render_graphiql_page())


def build_app() -> Starlette:
    view = GraphQLWithOfflineIDE(strawberry.Schema(query=Query, subscription=Subscription))
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            graphiql_static_mount(),
        ]
    )


@pytest.fixture(scope="module")
async def base_url() -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(build_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces why the server could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        yield http


class _AssetCollector(HTMLParser):
    """Collects what a browser would load: script src, link href (stylesheets, icons)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.other_links: list[str] = []
        self.config: str | None = None
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.scripts.append(found["src"] or "")
        elif tag == "script" and found.get("id") == "graphiql-config":
            self._in_config = True
        elif tag == "link" and found.get("rel") == "stylesheet":
            self.stylesheets.append(found.get("href") or "")
        elif tag == "link":
            self.other_links.append(found.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config = data
            self._in_config = False


async def _browser_page(client: httpx.AsyncClient) -> tuple[str, _AssetCollector]:
    response = await client.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    collector = _AssetCollector()
    collector.feed(response.text)
    return response.text, collector


async def test_browser_get_graphql_serves_graphiql_with_no_external_url(client: httpx.AsyncClient) -> None:
    page, assets = await _browser_page(client)

    assert '<div id="graphiql">' in page
    for marker in ("http://", "https://", "//cdn", "unpkg", "jsdelivr"):
        assert marker not in page, f"page mentions {marker!r}"
    for url in [*assets.scripts, *assets.stylesheets]:
        assert url.startswith(f"{GRAPHIQL_STATIC_PATH}/"), f"{url} is not served by the API"
    # The icon is inline so the browser does not ask anyone for /favicon.ico.
    assert all(url.startswith("data:") for url in assets.other_links)

    loaded = [url.split("?")[0].rsplit("/", 1)[-1] for url in assets.scripts]
    assert loaded == [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "plugin-explorer.umd.js",
        "boot.js",
    ]
    assert {url.split("?")[0].rsplit("/", 1)[-1] for url in assets.stylesheets} >= {"graphiql.min.css"}


async def test_every_script_and_stylesheet_on_the_page_is_served(client: httpx.AsyncClient) -> None:
    _, assets = await _browser_page(client)
    expected = [(url, "text/javascript") for url in assets.scripts]
    expected += [(url, "text/css") for url in assets.stylesheets]

    for url, content_type in expected:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] == content_type, url
        assert response.headers["x-content-type-options"] == "nosniff"
        # The URL carries a digest of the file, so browsers may keep it for good.
        assert "immutable" in response.headers["cache-control"], url
        on_disk = STATIC_DIR / url.split("?")[0].removeprefix(f"{GRAPHIQL_STATIC_PATH}/")
        assert response.content == on_disk.read_bytes(), url


async def test_unversioned_asset_is_revalidated_and_a_missing_one_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{GRAPHIQL_STATIC_PATH}/vendor/graphiql.min.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"

    assert (await client.get(f"{GRAPHIQL_STATIC_PATH}/vendor/missing.js")).status_code == 404


async def test_page_points_graphiql_at_graphql_with_an_authorization_hint(client: httpx.AsyncClient) -> None:
    _, assets = await _browser_page(client)
    assert assets.config is not None
    config = json.loads(assets.config)

    assert config["endpoint"] == "/graphql"
    assert json.loads(config["defaultHeaders"]) == {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}
    assert config["tokenPlaceholder"] == TOKEN_PLACEHOLDER
    assert "login" in config["defaultQuery"]


async def test_subscription_runs_over_the_websocket_graphiql_uses(base_url: str) -> None:
    # GraphiQL's bundled graphql-ws client speaks graphql-transport-ws to ws://<same host>/graphql and sends
    # the header editor's content as the connection_init payload.
    ws_url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=5) as socket:
        assert socket.subprotocol == "graphql-transport-ws"
        await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer x"}}))
        assert (await receive_message(socket, 5))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { count }"}}))
        counted = [await receive_message(socket, 5) for _ in range(4)]
        await socket.send(
            json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "subscription { authorization }"}})
        )
        seen = await receive_message(socket, 5)

    assert [message["payload"]["data"]["count"] for message in counted[:3]] == [1, 2, 3]
    assert counted[3] == {"id": "1", "type": "complete"}
    assert seen["payload"]["data"] == {"authorization": "Bearer x"}


def test_vendored_files_match_versions_manifest() -> None:
    manifest = (STATIC_DIR / "VERSIONS.txt").read_text(encoding="utf-8")
    rows = [line.split() for line in manifest.splitlines() if line and not line.startswith("#")]
    listed = {row[3] for row in rows}

    for package, version, licence, file, digest in rows:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), package
        assert licence == "MIT", package
        assert hashlib.sha256((STATIC_DIR / file).read_bytes()).hexdigest() == digest, file
    # Nothing vendored escapes the manifest, except the licence texts that travel with it.
    vendored = {
        str(path.relative_to(STATIC_DIR))
        for path in (STATIC_DIR / "vendor").rglob("*")
        if path.is_file() and path.parent.name != "licenses"
    }
    assert vendored == listed
    assert {"react", "react-dom", "graphiql"} <= {row[0] for row in rows}


def test_page_only_references_files_that_exist() -> None:
    # Guards against a re-vendored release renaming a file: the page would then 404 on load.
    collector = _AssetCollector()
    collector.feed(render_graphiql_page())
    for url in [*collector.scripts, *collector.stylesheets]:
        path = Path(STATIC_DIR, url.split("?")[0].removeprefix(f"{GRAPHIQL_STATIC_PATH}/"))
        assert path.is_file(), url
