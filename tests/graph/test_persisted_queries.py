"""Automatic persisted queries (API.md "Transport"; graph/persisted_queries.py), over HTTP on the real app and
Redis, read as a client reads them: status, content type and the whole body. Apollo Client's own link is driven
against the live server in tests/clients/test_js_clients.py.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from strawberry.http import GraphQLRequestData

from core.settings import Settings
from graph import persisted_queries
from graph.app import create_app
from graph.cost import BASE_IMAGES_BOUND
from graph.guidelines.inputs import MAX_IDS
from graph.persisted_queries import PersistedQueries
from tests.api_process import ApiProcess, start_api_process
from tests.conftest import Accounts, close_app
from tests.graph.test_cost import post
from tests.graph.test_transport import app_behind_proxies, refusal_of
from tests.jobs.conftest import worker_environment

ACCEPT_JSON = {"accept": "application/json"}
NOT_FOUND_BODY = {
    "data": None,
    "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}],
}


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


def unique(query: str) -> str:
    """The query under an operation name of its own: each test registers hashes no other test has met."""
    return query.replace("NAME", f"Op_{uuid.uuid4().hex[:12]}")


async def by_hash(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST the hash alone, as Apollo's link sends it first."""
    body = {"variables": variables or {}, "extensions": persisted(query)}
    return await http.post("/graphql", json=body, headers=headers or {})


async def by_hash_over_get(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET with the hash alone: `variables` and `extensions` as URL-encoded JSON, as Apollo's link sends them."""
    params = {
        "variables": orjson.dumps(variables or {}).decode(),
        "extensions": orjson.dumps(persisted(query)).decode(),
    }
    return await http.get("/graphql", params=params, headers={**ACCEPT_JSON, **(headers or {})})


async def registering(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST the query with its hash, as Apollo's link does after PERSISTED_QUERY_NOT_FOUND."""
    body = {"query": query, "variables": variables or {}, "extensions": persisted(query)}
    return await http.post("/graphql", json=body, headers=headers or {})


def _request(query: str | None, extensions: dict[str, Any]) -> GraphQLRequestData:
    return GraphQLRequestData(query=query, variables=None, operation_name=None, extensions=extensions)


def assert_not_found(response: httpx.Response) -> None:
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json"), response.text
    assert orjson.loads(response.content) == NOT_FOUND_BODY


def answer(response: httpx.Response) -> tuple[int, str, Any]:
    return response.status_code, response.headers["content-type"], orjson.loads(response.content)


async def test_a_miss_then_a_registration_then_hits_by_hash_over_post_and_get(
    http: httpx.AsyncClient, accounts: Accounts
) -> None:
    account = await accounts.user()
    query = unique("query NAME($n: Int!) { me { email organizations { id } } subjects(limit: $n) { count } }")
    variables = {"n": 3}
    before = dict(persisted_queries.counts)

    assert_not_found(await by_hash(http, query, variables, headers=account.headers))
    registered = await registering(http, query, variables, headers=account.headers)
    expected = {
        "data": {"me": {"email": account.user.email, "organizations": []}, "subjects": {"count": 0}},
        "extensions": {"cost": {"requested": 1 + 100 + 1, "actual": 2}},
    }
    assert answer(registered) == (200, "application/json", expected)
    # The same answer by hash alone, over POST, over GET, and over GET from a browser (which would otherwise
    # be shown GraphiQL, as for a GET without `query`).
    assert answer(await by_hash(http, query, variables, headers=account.headers)) == answer(registered)
    assert answer(await by_hash_over_get(http, query, variables, headers=account.headers)) == answer(registered)
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8", **account.headers}
    params = {"variables": orjson.dumps(variables).decode(), "extensions": orjson.dumps(persisted(query)).decode()}
    assert answer(await http.get("/graphql", params=params, headers=browser)) == answer(registered)
    # A hash names its text, not the answer: other variables and another caller get their own.
    other = await accounts.user()
    again = await by_hash(http, query, {"n": 1}, headers=other.headers)
    assert again.json()["data"]["me"] == {"email": other.user.email, "organizations": []}

    after = persisted_queries.counts
    assert after["miss"] - before.get("miss", 0) == 1
    assert after["registered"] - before.get("registered", 0) == 1
    # Registered here, so every hit came from this process's memory: no Redis round trip.
    assert after["hit_memory"] - before.get("hit_memory", 0) == 4
    assert after["hit_redis"] == before.get("hit_redis", 0)


async def test_the_stored_query_lives_in_redis_for_the_ttl_and_a_lookup_there_renews_it(
    app: Starlette, http: httpx.AsyncClient, settings: Settings
) -> None:
    query = unique("query NAME { __typename }")
    key = f"{settings.redis_prefix}:persisted-query:{sha256(query)}"
    redis: Redis = app.state.resources.redis
    assert (await registering(http, query)).json()["data"] == {"__typename": "Query"}
    assert await redis.get(key) == query.encode()
    assert settings.persisted_query_ttl_seconds - 5 <= await redis.ttl(key) <= settings.persisted_query_ttl_seconds

    # Another process's memory: a fresh store on the same Redis finds it there, and starts its time again.
    await redis.expire(key, 100)
    elsewhere = PersistedQueries(redis, key_prefix=f"{settings.redis_prefix}:persisted-query", ttl_seconds=500)
    hits = persisted_queries.counts["hit_redis"]
    resolved = await elsewhere.resolve(_request(None, persisted(query)))
    assert resolved.query == query
    assert persisted_queries.counts["hit_redis"] == hits + 1
    assert 495 <= await redis.ttl(key) <= 500

    # Expired in Redis, the hash is unknown to any process that had not met it.
    await redis.delete(key)
    with pytest.raises(persisted_queries.PersistedQueryRefused) as refused:
        await PersistedQueries(redis, key_prefix=f"{settings.redis_prefix}:persisted-query", ttl_seconds=5).resolve(
            _request(None, persisted(query))
        )
    assert refused.value.error.extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}


async def test_the_memory_in_front_of_redis_keeps_the_latest_hashes_only(app: Starlette, settings: Settings) -> None:
    redis: Redis = app.state.resources.redis
    store = PersistedQueries(
        redis, key_prefix=f"{settings.redis_prefix}:persisted-query", ttl_seconds=60, memory_entries=2
    )
    queries = [unique("query NAME { __typename }") for _ in range(3)]
    for query in queries:
        await store.resolve(_request(query, persisted(query)))
    memory_hits, redis_hits = persisted_queries.counts["hit_memory"], persisted_queries.counts["hit_redis"]
    for query in queries:
        assert (await store.resolve(_request(None, persisted(query)))).query == query
    # The first was dropped for the third (and came back from Redis, dropping the second, and so on).
    assert persisted_queries.counts["hit_redis"] - redis_hits == 3
    assert persisted_queries.counts["hit_memory"] == memory_hits


BAD_PERSISTED_QUERIES = [
    pytest.param(
        {"query": "{ __typename }", "extensions": persisted("{ __typename  }")}, "not the SHA-256", id="mismatch"
    ),
    pytest.param(
        {
            "query": "{ __typename }",
            "extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256("{ __typename }")}},
        },
        "Unsupported persisted query version",
        id="version-2",
    ),
    pytest.param(
        {"extensions": {"persistedQuery": {"version": True, "sha256Hash": sha256("{ __typename }")}}},
        "Unsupported persisted query version",
        id="version-true",
    ),
    pytest.param({"extensions": {"persistedQuery": {"version": 1}}}, "64 hex digits", id="no-hash"),
    pytest.param(
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "../../etc"}}}, "64 hex digits", id="not-hex"
    ),
    pytest.param({"extensions": {"persistedQuery": "abc"}}, "must be an object", id="not-an-object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_PERSISTED_QUERIES)
async def test_a_malformed_persisted_query_is_a_bad_request(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    error = refusal_of(await http.post("/graphql", json=body), 400)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert message in error["message"]


async def test_a_query_whose_hash_does_not_match_is_not_stored(http: httpx.AsyncClient) -> None:
    query = unique("query NAME { __typename }")
    other = unique("query NAME { __typename }")
    mismatched = await http.post("/graphql", json={"query": other, "extensions": persisted(query)})
    assert refusal_of(mismatched, 400) == {
        "message": "persistedQuery.sha256Hash is not the SHA-256 of the query",
        "extensions": {"code": "BAD_REQUEST"},
    }
    assert_not_found(await by_hash(http, query))
    assert_not_found(await by_hash(http, other))


async def test_a_mutation_by_hash_runs_over_post_only(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    mutation = unique('mutation NAME { createOrganization(name: "By hash") { name role } }')
    created = await registering(http, mutation, headers=account.headers)
    assert created.json()["data"] == {"createOrganization": {"name": "By hash", "role": "OWNER"}}

    over_get = await by_hash_over_get(http, mutation, headers=account.headers)
    assert refusal_of(over_get, 405)["extensions"] == {"code": "BAD_REQUEST"}
    assert over_get.headers["allow"] == "GET, POST"
    # Nothing ran: the caller still has the one organization.
    organizations = await post(http, "{ me { organizations { name } } }", headers=account.headers)
    assert organizations.json()["data"] == {"me": {"organizations": [{"name": "By hash"}]}}

    again = await by_hash(http, mutation, headers=account.headers)
    assert again.json()["data"] == {"createOrganization": {"name": "By hash", "role": "OWNER"}}
    organizations = await post(http, "{ me { organizations { name } } }", headers=account.headers)
    assert organizations.json()["data"] == {"me": {"organizations": [{"name": "By hash"}, {"name": "By hash"}]}}


GUIDELINES = (
    "query NAME($n: Int!) { guidelines(limit: $n) { data { subjects { baseImages { imageUrl shotType { name } } } } } }"
)
# Depth 2 as the limiter counts (me 0, organizations 1, id 2).
DEEPER_THAN_ONE = "query NAME { me { organizations { id } } }"


@pytest.fixture
async def shallow_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app with a depth limit of 1 (the schema has no cycles, so no query passes the default 10), on Redis
    keys of its own."""
    prefix = f"studio-test-apq-{uuid.uuid4().hex[:8]}"
    app = create_app(settings.model_copy(update={"query_max_depth": 1, "redis_prefix": prefix}))
    yield app
    await close_app(app)


async def test_a_stored_query_meets_the_limits_a_sent_one_meets(
    http: httpx.AsyncClient, accounts: Accounts, settings: Settings
) -> None:
    account = await accounts.user()
    # The price depends on the variables: registered cheap, then asked for with a limit that prices over the cap.
    guidelines = unique(GUIDELINES)
    cheap = await registering(http, guidelines, {"n": 1}, headers=account.headers)
    assert cheap.json() == {
        "data": {"guidelines": {"data": []}},
        "extensions": {"cost": {"requested": 1 + 1 * (1 + MAX_IDS * (1 + BASE_IMAGES_BOUND * 2)), "actual": 1}},
    }
    costly = await by_hash(http, guidelines, {"n": 1000}, headers=account.headers)
    price = 1 + 1000 * (1 + MAX_IDS * (1 + BASE_IMAGES_BOUND * 2))
    assert price > settings.query_max_cost
    assert answer(costly) == (
        200,
        "application/json",
        {
            "data": None,
            "errors": [
                {
                    "message": costly.json()["errors"][0]["message"],
                    "extensions": {"code": "QUERY_TOO_COMPLEX", "cost": price, "maxCost": settings.query_max_cost},
                }
            ],
        },
    )
    assert answer(costly) == answer(await post(http, guidelines, {"n": 1000}, headers=account.headers))
    assert answer(await by_hash_over_get(http, guidelines, {"n": 1000}, headers=account.headers)) == answer(costly)


async def test_a_stored_query_too_deep_is_refused_like_a_sent_one(shallow_app: Starlette, accounts: Accounts) -> None:
    account = await accounts.user()
    deep = unique(DEEPER_THAN_ONE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shallow_app), base_url="http://testserver") as http:
        refused = await registering(http, deep, headers=account.headers)
        [error] = refused.json()["errors"]
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
        assert "exceeds maximum operation depth of 1" in error["message"]
        assert answer(await by_hash(http, deep, headers=account.headers)) == answer(refused)
        assert answer(await by_hash_over_get(http, deep, headers=account.headers)) == answer(refused)
        assert answer(await post(http, deep, headers=account.headers)) == answer(refused)


@pytest.fixture
async def second_api_process(settings: Settings, tmp_path: Path) -> AsyncIterator[ApiProcess]:
    """Another API process, started as a deployment starts it, sharing this session's database and Redis."""
    api = start_api_process(worker_environment(settings, LOG_LEVEL="WARNING"), tmp_path / "api.log")
    try:
        await api.wait_ready()
        yield api
    finally:
        api.stop()


async def test_a_hash_registered_on_one_process_runs_on_another(
    http: httpx.AsyncClient, second_api_process: ApiProcess, accounts: Accounts
) -> None:
    account = await accounts.user()
    here_first = unique("query NAME { me { email } }")
    there_first = unique("query NAME { me { id } }")
    async with httpx.AsyncClient(base_url=second_api_process.url, timeout=10) as there:
        assert_not_found(await by_hash(there, here_first, headers=account.headers))
        registered = await registering(http, here_first, headers=account.headers)
        assert registered.json()["data"] == {"me": {"email": account.user.email}}
        assert answer(await by_hash(there, here_first, headers=account.headers)) == answer(registered)
        assert answer(await by_hash_over_get(there, here_first, headers=account.headers)) == answer(registered)

        assert_not_found(await by_hash(http, there_first, headers=account.headers))
        registered = await registering(there, there_first, headers=account.headers)
        assert registered.json()["data"] == {"me": {"id": str(account.id)}}
        assert answer(await by_hash(http, there_first, headers=account.headers)) == answer(registered)


async def test_redis_unreachable_on_a_lookup_is_not_found_then_the_sent_query_runs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    query = unique("query NAME { __typename }")
    async with (
        app_behind_proxies(settings) as (app, _, redis),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        await redis.cut()
        with caplog.at_level("WARNING"):
            # As Apollo's link reacts to it: it sends the query with its hash next.
            assert_not_found(await by_hash(client, query))
            # Sent with its hash, the query needs no Redis to run; this process keeps it, and answers it by hash.
            ran = await registering(client, query)
            assert ran.json()["data"] == {"__typename": "Query"}
            assert (await by_hash(client, query)).json()["data"] == {"__typename": "Query"}
        assert "Persisted query not looked up, Redis is unreachable" in caplog.text
        assert "Persisted query not shared, Redis is unreachable" in caplog.text
        assert not [record for record in caplog.records if record.levelname == "ERROR"], caplog.text
        await redis.restore()
