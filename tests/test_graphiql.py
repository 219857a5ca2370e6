"""GraphiQL served by the API itself: GET /graphql in a browser gets a page whose every asset is ours.

The app under test is wired the way the real one is (a Strawberry view whose render_graphql_ide returns our
page, the static mount, Route + WebSocketRoute at /graphql) and served by uvicorn on a loopback port.
`build_app` is also what the manual headless-browser check runs:
    PYTHONPATH=. .venv/bin/uvicorn tests.test_graphiql:build_app --factory --port 8765
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import cast

import httpx
import pytest
import strawberry
from graphql import DocumentNode, FieldNode, StringValueNode, Visitor, parse, visit
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from core.settings import Settings
from graph.app import create_app
from graph.graphiql import (
    EMAIL_PLACEHOLDER,
    GRAPHIQL_STATIC_PATH,
    PASSWORD_PLACEHOLDER,
    STATIC_DIR,
    TOKEN_PLACEHOLDER,
    LoginExample,
    default_query,
    graphiql_static_mount,
    render_graphiql_page,
)
from services.bootstrap import ensure_first_superuser
from tests.serving import served
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
    async with served(build_app()) as host:
        yield f"http://{host}"


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


# --- the Login example of the real app's page --------------------------------------------------------------------

DEVELOPMENT_EMAIL, DEVELOPMENT_PASSWORD = "admin@example.com", "changethis"  # the README's development defaults


def _app_settings(settings: Settings, **overrides: object) -> Settings:
    """Settings as the app would read them from an environment naming only this session's servers, so the
    validator fills in its defaults exactly as it does for `make run` (no .env file is read)."""
    values: dict[str, object] = {
        "_env_file": None,  # a developer's .env must not decide these cases
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "redis_prefix": settings.redis_prefix,
        "storage_dir": settings.storage_dir,
        **overrides,
    }
    return Settings.model_validate(values)


async def _served_page(settings: Settings) -> tuple[str, dict[str, str]]:
    """The page the real app (create_app) serves a browser at GET /graphql, and its GraphiQL config."""
    application = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page, assets = await _browser_page(http)
    finally:
        await application.state.resources.close()
    assert assets.config is not None
    return page, json.loads(assets.config)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cases below are about what is and is not configured, so nothing may leak in from the shell.
    for name in ("ENVIRONMENT", "FIRST_SUPERUSER_EMAIL", "FIRST_SUPERUSER_PASSWORD", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("clean_environment")
async def test_development_login_example_works_unchanged(settings: Settings) -> None:
    development = _app_settings(settings, environment="development")
    assert development.development_superuser_login == (DEVELOPMENT_EMAIL, DEVELOPMENT_PASSWORD)
    _, config = await _served_page(development)
    assert f'login(email: "{DEVELOPMENT_EMAIL}", password: "{DEVELOPMENT_PASSWORD}")' in config["defaultQuery"]

    # What `make run` does before serving, then the page's document exactly as the editor first shows it.
    await ensure_first_superuser(development)
    application = create_app(development)
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = (await http.post("/graphql", json={"query": config["defaultQuery"]})).json()
            assert not login.get("errors"), login
            token = login["data"]["login"]["accessToken"]
            me = await http.post(
                "/graphql", json={"query": "{ me { email } }"}, headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        await application.state.resources.close()
    assert me.json()["data"] == {"me": {"email": DEVELOPMENT_EMAIL}}


CHOSEN_PASSWORD = "a-password-someone-chose-42"


@pytest.mark.parametrize(
    ("overrides", "secret_word"),
    [
        # The suite's own settings: ENVIRONMENT=test, no first superuser.
        ({"environment": "test", "first_superuser_password": None}, DEVELOPMENT_PASSWORD),
        # Development, but the password was configured: it must never reach a page.
        ({"environment": "development", "first_superuser_password": SecretStr(CHOSEN_PASSWORD)}, CHOSEN_PASSWORD),
        # Development with a configured email: the default password no longer signs anyone in with the example.
        ({"environment": "development", "first_superuser_email": "boss@example.com"}, DEVELOPMENT_PASSWORD),
        (
            {
                "environment": "production",
                "secret_key": SecretStr("a-production-signing-key-of-at-least-32-chars"),
                "first_superuser_password": SecretStr(CHOSEN_PASSWORD),
            },
            CHOSEN_PASSWORD,
        ),
    ],
    ids=["test", "development-configured-password", "development-configured-email", "production"],
)
@pytest.mark.usefixtures("clean_environment")
async def test_login_example_keeps_placeholders_unless_development_defaults(
    settings: Settings, overrides: dict[str, object], secret_word: str
) -> None:
    app_settings = _app_settings(settings, **overrides)
    assert app_settings.development_superuser_login is None
    page, config = await _served_page(app_settings)

    expected = f"login(email: {json.dumps(EMAIL_PLACEHOLDER)}, password: {json.dumps(PASSWORD_PLACEHOLDER)})"
    assert expected in config["defaultQuery"]
    # The comment above the example tells the user what to put there.
    assert f"put yours for {EMAIL_PLACEHOLDER}" in config["defaultQuery"]
    assert secret_word not in page
    assert secret_word not in config["defaultQuery"]


def test_login_example_strings_are_graphql_string_literals() -> None:
    # Credentials holding quotes, backslashes or braces must reach the login arguments as they are, never break
    # the example document or add to it.
    email, password = 'a"b\\c@example.com', '"}) { me { id } } #'
    document = parse(default_query(LoginExample(email=email, password=password)))

    (login,) = [field for field in _fields(document) if field.name.value == "login"]
    arguments = {argument.name.value: argument.value for argument in login.arguments or ()}
    assert all(isinstance(value, StringValueNode) for value in arguments.values()), arguments
    assert {name: cast(StringValueNode, value).value for name, value in arguments.items()} == {
        "email": email,
        "password": password,
    }
    assert {field.name.value for field in _fields(document)} == {"login", "accessToken", "tokenType"}


def _fields(document: DocumentNode) -> list[FieldNode]:
    found: list[FieldNode] = []

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            found.append(node)

    visit(document, Collect())
    return found
