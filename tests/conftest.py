"""Test harness: a fresh database per test session on the real PostgreSQL, a private Redis key prefix, a temp
storage folder, and the real application behind an HTTP client (and a live server for websockets)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.config import Config
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.security import create_access_token
from core.settings import Settings
from db.engine import create_engine, create_session_factory
from db.models import OrganizationMembership, User
from db.models.enums import OrganizationRole
from graph.app import create_app
from services.resources import Resources
from services.users import create_user
from tests.remote_images import HttpsServer, serve_https
from tests.s3_server import S3Server, serve_s3
from tests.serving import served
from tests.session_servers import TestServers, test_servers

REPO_ROOT = Path(__file__).resolve().parent.parent
E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--e2e", action="store_true", help="collect the browser tests under tests/e2e (make test-e2e runs them)"
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # The browser tests need chromium and Playwright, which `make test` does not: without --e2e their folder is
    # not even imported, so the suite runs where neither is installed.
    if collection_path == E2E_DIR and not config.getoption("--e2e"):
        return True
    return None


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    with test_servers() as found:
        yield found


@pytest.fixture(scope="session")
def database_url(servers: TestServers) -> Iterator[str]:
    """A database of our own, created for this session, migrated to head, and dropped at the end."""
    admin = make_url(servers.database_admin_url)
    name = f"studio_test_{uuid.uuid4().hex[:12]}"

    async def admin_execute(sql: str) -> None:
        connection = await asyncpg.connect(**_asyncpg_params(admin))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url, "head")
        yield url
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _asyncpg_params(url: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"user": url.username, "database": url.database, "password": url.password}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    params.update(url.query)
    return params


def migrate(database_url: str, revision: str, *, down: bool = False) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture(scope="session")
def remote_images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsServer]:
    """The stand-in for remote image hosts: https://localhost:<port>/image.png and friends."""
    with serve_https(tmp_path_factory.mktemp("remote-tls")) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 protocol server on 127.0.0.1 (moto's server mode), started on first use; tests make buckets."""
    with serve_s3() as server:
        yield server


@pytest.fixture(scope="session")
def settings(
    database_url: str, servers: TestServers, remote_images: HttpsServer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=servers.redis_url,
        redis_prefix=f"studio-test-{uuid.uuid4().hex[:8]}",
        storage_dir=tmp_path_factory.mktemp("storage"),
        secret_key=SecretStr("test-secret-key-for-this-session-only"),
        first_superuser_password=None,
        login_attempts_per_minute=5,
        # Only the local stand-in for remote hosts is reachable, and only because the tests trust it.
        fetch_allow_private_networks=True,
        fetch_ca_bundle=remote_images.ca_bundle,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    yield application
    await close_app(application)


async def close_app(app: Starlette) -> None:
    """Drops what an app built by a test left in Redis (under its REDIS_PREFIX) and closes its connections."""
    resources = app.state.resources
    keys = [key async for key in resources.redis.scan_iter(match=f"{resources.settings.redis_prefix}:*")]
    if keys:
        await resources.redis.delete(*keys)
    await resources.close()


@pytest.fixture(scope="session")
def session_factory(app: Starlette) -> async_sessionmaker[AsyncSession]:
    resources: Resources = app.state.resources
    return resources.session_factory


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class Account:
    user: User
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Accounts:
    """Makes users (and organizations) straight in the database, each with a valid token."""

    session_factory: async_sessionmaker[AsyncSession]
    settings: Settings

    async def user(self, *, superuser: bool = False, password: str = "correct horse battery") -> Account:
        async with self.session_factory() as session, session.begin():
            user = await create_user(
                session,
                email=f"user-{uuid.uuid4().hex[:10]}@example.com",
                password=password,
                full_name="Test User",
                is_superuser=superuser,
            )
        token = create_access_token(user.id, secret=self.settings.signing_key, expires_minutes=30)
        return Account(user=user, token=token)

    async def add_to_organization(
        self, account: Account, organization_id: uuid.UUID, role: OrganizationRole = OrganizationRole.MEMBER
    ) -> None:
        async with self.session_factory() as session, session.begin():
            session.add(OrganizationMembership(organization_id=organization_id, user_id=account.id, role=role))


@pytest.fixture(scope="session")
def accounts(session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> Accounts:
    return Accounts(session_factory=session_factory, settings=settings)


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: Account | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=as_.headers if as_ else {},
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, as_: Account | None = None) -> Any:
        """The `data` of a request that must succeed."""
        body = await self(query, variables, as_=as_)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, *, as_: Account | None = None) -> Any:
        """The single error of a request that must fail."""
        body = await self(query, variables, as_=as_)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]


def error_code(error: dict[str, Any]) -> str:
    code: str = error["extensions"]["code"]
    return code


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture(scope="session")
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """The same application served by uvicorn on a loopback port, for websocket tests (tests/serving.py)."""
    async with served(app) as host:
        yield host


@pytest.fixture(scope="session")
def own_engine_factory(database_url: str) -> Any:
    """For tests that need a session factory independent of the app (e.g. statement counting)."""

    def make() -> tuple[Any, async_sessionmaker[AsyncSession]]:
        engine = create_engine(database_url, pool_size=2)
        return engine, create_session_factory(engine)

    return make
