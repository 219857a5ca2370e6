"""What a client receives from `/graphql` when a request cannot run: a JSON GraphQL response with a code and a
fitting status, never text/plain or HTTP 500 (API.md, "Transport" and "Errors"). Read byte for byte: status,
content type, headers and body.

The outage tests put a TCP proxy (tests/tcp_proxy.py) between a second app and the real PostgreSQL or Redis,
and cut it, as a server restart does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from strawberry.types import ExecutionContext

from core.settings import Settings
from graph.app import create_app
from graph.context import Context
from graph.request_checks import provided_operation_name
from tests.conftest import Accounts, GraphQLClient
from tests.tcp_proxy import TcpProxy

ME = "{ me { email } }"


def refusal_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one error of a refusal, after checking what every refusal must look like on the wire."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = orjson.loads(response.content)
    assert set(body) <= {"data", "errors"} and body.get("data") is None, body
    [error] = body["errors"]
    assert isinstance(error["message"], str) and error["message"], error
    assert "Traceback" not in error["message"]
    return error  # type: ignore[no-any-return]


def _deep(levels: int) -> bytes:
    return b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * levels + b"]" * levels + b"}}"


JSON = {"content-type": "application/json"}
ACCEPT_JSON = {"accept": "application/json"}  # a browser's Accept: text/html gets GraphiQL instead
MALFORMED_POSTS = [
    pytest.param(b"{not json", JSON, "not valid JSON", id="not-json"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, JSON, "not valid JSON: depth limit", id="nested-10000-deep"),
    pytest.param(_deep(5_000), JSON, "not valid JSON: depth limit", id="variables-nested-5000-deep"),
    pytest.param(b'"{ __typename }"', JSON, "Expected a JSON object", id="a-json-string"),
    pytest.param(b"42", JSON, "Expected a JSON object", id="a-json-number"),
    pytest.param(b'{"variables": {}}', JSON, "No GraphQL query", id="no-query"),
    pytest.param(b'{"query": 5}', JSON, "must be a string", id="query-not-a-string"),
    pytest.param(b'{"query": "{ __typename }", "variables": [1]}', JSON, "must be an object", id="variables-a-list"),
    pytest.param(b'[{"query": "{ __typename }"}]', JSON, "Batching is not enabled", id="a-batch"),
    pytest.param(b"query=%7B__typename%7D", {"content-type": "text/plain"}, "Unsupported content type", id="text-body"),
    pytest.param(
        b'{"query": "query A { __typename }", "operationName": "B"}',
        JSON,
        'Unknown operation named "B"',
        id="unknown-op",
    ),
]


@pytest.mark.parametrize(("body", "headers", "message"), MALFORMED_POSTS)
async def test_a_malformed_post_is_a_bad_request(
    http: httpx.AsyncClient, body: bytes, headers: dict[str, str], message: str
) -> None:
    error = refusal_of(await http.post("/graphql", content=body, headers=headers), 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert message in error["message"]


async def test_several_operations_need_an_operation_name(http: httpx.AsyncClient) -> None:
    document = "query A { __typename } query B { me { id } }"
    error = refusal_of(await http.post("/graphql", json={"query": document}), 400)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "operationName" in error["message"]
    # Naming one runs exactly that one.
    two = "query A { a: __typename } query B { b: __typename }"
    named = await http.post("/graphql", json={"query": two, "operationName": "B"})
    assert named.status_code == 200 and named.json() == {
        "data": {"b": "Query"},
        "extensions": {"cost": {"requested": 0, "actual": 0}},
    }
    # A document's own validation error is reported before the missing name.
    invalid = await http.post("/graphql", json={"query": "query A { nope } query B { __typename }"})
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_strawberry_still_keeps_the_operation_name_a_request_sent() -> None:
    # provided_operation_name reads a private attribute of Strawberry's ExecutionContext: an upgrade that renames
    # it must fail here, not silently run the first of several operations again.
    context = ExecutionContext(query="{ a }", schema=None, allowed_operations=(), provided_operation_name="Named")  # type: ignore[arg-type]
    assert provided_operation_name(context) == "Named"
    unnamed = ExecutionContext(query="{ a }", schema=None, allowed_operations=())  # type: ignore[arg-type]
    assert provided_operation_name(unnamed) is None


async def test_only_queries_go_over_get(http: httpx.AsyncClient) -> None:
    query = await http.get("/graphql", params={"query": "{ __typename }"}, headers=ACCEPT_JSON)
    assert query.status_code == 200 and query.json() == {
        "data": {"__typename": "Query"},
        "extensions": {"cost": {"requested": 0, "actual": 0}},
    }

    mutation = await http.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"accept": "application/json"}
    )
    error = refusal_of(mutation, 405)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert mutation.headers["allow"] == "GET, POST"

    bad_variables = await http.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{"}, headers={"accept": "application/json"}
    )
    assert refusal_of(bad_variables, 400)["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_refused_as_graphql(http: httpx.AsyncClient, method: str) -> None:
    response = await http.request(method, "/graphql", json={"query": "{ __typename }"})
    assert refusal_of(response, 405)["extensions"]["code"] == "BAD_REQUEST"
    assert response.headers["allow"] == "GET, POST"


async def test_a_json_body_over_the_limit_is_refused_before_it_is_read(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.request_max_bytes
    padding = " " * limit  # whitespace is valid JSON, so only the size can refuse it
    declared = await http.post(
        "/graphql", content=b'{"query": "{ __typename }"' + padding.encode() + b"}", headers=JSON
    )
    assert refusal_of(declared, 413)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while it streams in
        yield b'{"query": "{ __typename }"'
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536
        yield b"}"

    streamed = await http.post("/graphql", content=chunks(), headers=JSON)
    assert refusal_of(streamed, 413)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    just_under = b'{"query": "{ __typename }"' + b" " * (limit - 64) + b"}"
    assert (await http.post("/graphql", content=just_under, headers=JSON)).json()["data"] == {"__typename": "Query"}


# --- PostgreSQL and Redis unreachable ------------------------------------------------------------------------------


@asynccontextmanager
async def app_behind_proxies(settings: Settings) -> AsyncIterator[tuple[Starlette, TcpProxy, TcpProxy]]:
    """A second app whose PostgreSQL and Redis connections each pass through a proxy the test can cut."""
    assert settings.database_url and settings.redis_url
    database, redis_url = make_url(settings.database_url), make_url(settings.redis_url)
    postgres_proxy = TcpProxy(database.host or "127.0.0.1", database.port or 5432)
    redis_proxy = TcpProxy(redis_url.host or "127.0.0.1", redis_url.port or 6379)
    await postgres_proxy.start()
    await redis_proxy.start()
    proxied = settings.model_copy(
        update={
            "database_url": database.set(host="127.0.0.1", port=postgres_proxy.port).render_as_string(
                hide_password=False
            ),
            "redis_url": redis_url.set(host="127.0.0.1", port=redis_proxy.port).render_as_string(hide_password=False),
        }
    )
    app = create_app(proxied)
    try:
        yield app, postgres_proxy, redis_proxy
    finally:
        await postgres_proxy.cut()
        await redis_proxy.cut()
        await app.state.resources.close()


@pytest.fixture
def outage_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level("WARNING"):
        yield caplog


async def test_postgresql_unreachable_is_service_unavailable_then_heals(
    settings: Settings, accounts: Accounts, outage_logs: pytest.LogCaptureFixture
) -> None:
    account = await accounts.user()
    async with (
        app_behind_proxies(settings) as (app, postgres, _),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        healthy = await client.post("/graphql", json={"query": ME}, headers=account.headers)
        assert healthy.json()["data"] == {"me": {"email": account.user.email}}

        await postgres.cut()  # pooled connections die and new ones are refused, as in a restart
        for _ in range(5):
            # Authenticating needs the database: the request is refused before execution, and says to retry.
            refused = await client.post("/graphql", json={"query": ME}, headers=account.headers)
            error = refusal_of(refused, 503)
            assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
            assert "retry" in error["message"]
            assert refused.headers["retry-after"] == "5"

        # Without a token the operation runs, and the field that needed the database says why it has no value.
        login = 'mutation { login(email: "someone@example.com", password: "whatever") { accessToken } }'
        anonymous = await client.post("/graphql", json={"query": login})
        assert anonymous.status_code == 200
        assert anonymous.headers["content-type"] == "application/json"
        body = anonymous.json()
        assert body["data"] is None
        assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [("SERVICE_UNAVAILABLE", ["login"])]

        await postgres.restore()
        healed = None
        for _ in range(3):  # the first statement after a restart may meet a connection the pool had kept
            healed = await client.post("/graphql", json={"query": ME}, headers=account.headers)
            if healed.status_code == 200:
                break
        assert healed is not None and healed.json()["data"] == {"me": {"email": account.user.email}}

    assert "Traceback" not in outage_logs.text
    assert "SELECT" not in outage_logs.text  # the log names the cause, not the statement and its parameters
    assert not [r for r in outage_logs.records if r.levelname == "ERROR"], outage_logs.text


async def test_redis_unreachable_is_service_unavailable(
    settings: Settings, accounts: Accounts, outage_logs: pytest.LogCaptureFixture
) -> None:
    account = await accounts.user(password="the right password")
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
    async with (
        app_behind_proxies(settings) as (app, _, redis),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        await redis.cut()
        # A wrong password is counted in Redis (the login limit): without Redis it cannot be answered.
        body = (
            await client.post("/graphql", json={"query": login, "variables": {"e": account.user.email, "p": "wrong"}})
        ).json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
        # The OAuth2 token endpoint, which is not GraphQL, answers in its own JSON.
        form = {"username": account.user.email, "password": "wrong"}
        token = await client.post("/api/v1/login/access-token", data=form)
        assert (token.status_code, token.headers["content-type"]) == (503, "application/json")
        assert "retry" in token.json()["detail"]
        await redis.restore()
        ok = await client.post(
            "/graphql", json={"query": login, "variables": {"e": account.user.email, "p": "the right password"}}
        )
        assert ok.json()["data"]["login"]["accessToken"]
    assert not [r for r in outage_logs.records if r.levelname == "ERROR"], outage_logs.text


async def test_a_bug_before_execution_is_a_masked_graphql_error(
    http: httpx.AsyncClient, accounts: Accounts, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No input reaches this today; the fault is injected into authentication to show what a client would get
    # from a bug there: JSON, a code, and nothing of the error itself (which only the log holds).
    account = await accounts.user()

    async def broken(self: Context, authorization: str | None) -> None:
        raise RuntimeError("SELECT hashed_password FROM users")

    monkeypatch.setattr(Context, "authenticate", broken)
    response = await http.post("/graphql", json={"query": ME}, headers=account.headers)
    error = refusal_of(response, 500)
    assert error == {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    assert "SELECT hashed_password" in caplog.text


async def test_refusals_on_the_wire(live_server: str) -> None:
    # The same refusals through uvicorn and a real socket, byte for byte as a client reads them.
    async with httpx.AsyncClient(base_url=f"http://{live_server}") as client:
        not_json = await client.post("/graphql", content=b"{oops", headers=JSON)
        assert not_json.status_code == 400
        assert not_json.headers["content-type"] == "application/json"
        assert not_json.content == (
            b'{"errors":[{"message":"The request is not valid JSON: unexpected character, expected a string key",'
            b'"extensions":{"code":"BAD_REQUEST"}}]}'
        )
        put = await client.put("/graphql", content=b"{}", headers=JSON)
        assert (put.status_code, put.headers["allow"], put.headers["content-type"]) == (
            405,
            "GET, POST",
            "application/json",
        )


NUL_REFUSED = "must not contain a NUL character"


async def test_text_with_a_nul_character_is_bad_input(gql: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user()
    create = "mutation($input: ShotTypeCreate!) { createShotType(input: $input) { id } }"
    nul_in_variables = {"input": {"name": "front\x00", "viewAngle": "FRONT", "framing": "FULL_BODY"}}
    error = await gql.error(create, nul_in_variables, as_=account)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"input.name": "must not contain a NUL character"},
    }

    for escape in ("\\u0000", "\\u{0}"):
        literal = '{ shotTypes(search: "a' + escape + 'b") { count } }'
        error = await gql.error(literal, as_=account)
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "fields": {"search": "must not contain a NUL character"},
        }
    nested = 'mutation { createShotType(input: {name: "x\\u0000", viewAngle: FRONT, framing: FULL_BODY}) { id } }'
    assert (await gql.error(nested, as_=account))["extensions"]["fields"] == {
        "input.name": "must not contain a NUL character"
    }

    login = 'mutation($e: String!) { login(email: $e, password: "x") { accessToken } }'
    assert (await gql.error(login, {"e": "a\x00@example.com"}))["extensions"]["fields"] == {
        "e": "must not contain a NUL character"
    }
    # Nothing was written.
    assert (await gql.data("{ shotTypes { count } }", as_=account))["shotTypes"]["count"] == 0


async def test_a_subscription_over_http_is_refused(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    document = 'subscription { uploadTaskProgress(taskId: "00000000-0000-0000-0000-000000000000") { status } }'
    error = refusal_of(await http.post("/graphql", json={"query": document}, headers=account.headers), 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "websocket" in error["message"]
