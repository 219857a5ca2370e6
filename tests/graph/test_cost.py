"""Cost analysis (docs/api.md, "Limits and cost"), through GraphQL over HTTP on the real app and Redis: prices
computed by hand, refusals before execution, extensions.cost, and each caller's budget a minute."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLList as ListType
from graphql import GraphQLObjectType, get_introspection_query, get_named_type, get_nullable_type, is_leaf_type
from starlette.applications import Starlette

from bench.queries import GUIDELINES_PAGE, GUIDELINES_PAGE_SIZE, SUBJECTS_PAGE, SUBJECTS_PAGE_SIZE
from core.embedded import free_port
from core.settings import Settings
from graph.app import create_app
from graph.cost import BASE_IMAGES_BOUND, LIST_BOUNDS, ORGANIZATIONS_BOUND, PAGE_FIELD
from graph.cost_limits import graphql_schema
from graph.guidelines.inputs import MAX_IDS
from graph.schema import schema
from tests.conftest import Accounts, close_app

SUBJECTS = (
    "query($n: Int) { subjects(limit: $n) { count data { id measurements { heightCm } baseImages { imageUrl } } } }"
)
# One subject: itself, its measurements, and at most BASE_IMAGES_BOUND base images.
SUBJECT_PRICE = 1 + 1 + BASE_IMAGES_BOUND
ORGANIZATIONS = "{ me { id organizations { id name } } }"
# The two attacks of issue 11: 30 aliases of a deep introspection, and of guidelines' subjects' base images.
INTROSPECTION_ATTACK = (
    "{ "
    + " ".join(
        f"a{i}: __schema {{ types {{ name fields {{ name args {{ name type {{ name kind ofType {{ name kind }} }} }} "
        "type { name kind ofType { name kind ofType { name } } } } } }"
        for i in range(30)
    )
    + " }"
)
GUIDELINES_ATTACK = (
    "{ "
    + " ".join(
        f"a{i}: guidelines(limit: 1000) {{ data {{ subjects {{ baseImages {{ imageUrl shotType {{ name }} }} }} }} }}"
        for i in range(30)
    )
    + " }"
)


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})


async def test_a_known_query_costs_its_hand_computed_price(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    for name in ("North", "South"):
        created = await post(
            http, "mutation($n: String!) { createOrganization(name: $n) { id } }", {"n": name}, headers=account.headers
        )
        assert "errors" not in created.json(), created.json()
    answer = await post(http, ORGANIZATIONS, headers=account.headers)
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["data"]["me"]["organizations"]) == 2
    # me (1) + each organization it may list (ORGANIZATIONS_BOUND); answered: me and its two organizations.
    assert body["extensions"] == {"cost": {"requested": 1 + ORGANIZATIONS_BOUND, "actual": 3}}


async def test_the_limit_argument_bounds_a_list(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    for variables, price in (({"n": 3}, 1 + 3 * SUBJECT_PRICE), ({}, 1 + 100 * SUBJECT_PRICE)):
        body = (await post(http, SUBJECTS, variables, headers=account.headers)).json()
        # The list type (1) and `limit` subjects, the argument's default (100) when not given.
        assert body["extensions"]["cost"] == {"requested": price, "actual": 1}, variables
    literal = (await post(http, "{ subjects(limit: 2) { data { id } } }", headers=account.headers)).json()
    assert literal["extensions"]["cost"]["requested"] == 1 + 2


async def test_order_filter_and_cursor_keep_a_lists_price_and_page_info_adds_one(
    http: httpx.AsyncClient, accounts: Accounts
) -> None:
    account = await accounts.user()
    lists = ("subjects", "styles", "users", "subjectUploadTasks")
    for name in lists:
        plain = f"{{ {name}(limit: 7) {{ data {{ id }} }} }}"
        paged = (
            f'{{ {name}(limit: 7, after: "x", orderBy: {{field: CREATED_AT, direction: DESC}}, '
            'filter: {createdAfter: "2026-01-01T00:00:00Z"}) { count data { id } pageInfo { endCursor } } }'
        )
        prices = []
        for query in (plain, paged):
            body = (await post(http, query, headers=account.headers)).json()
            # Priced before it runs (users: refused after, as FORBIDDEN; the cursor: BAD_USER_INPUT).
            prices.append(body["extensions"]["cost"]["requested"])
        # The list type (1) and 7 items; pageInfo is one object more.
        assert prices == [1 + 7, 1 + 7 + 1], name


async def test_aliases_and_fragments_each_count(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    query = """
      { a: me { id } b: me { ...Orgs } c: me { ... on User { organizations { id } } } }
      fragment Orgs on User { organizations { id } }
    """
    body = (await post(http, query, headers=account.headers)).json()
    organizations = 1 + ORGANIZATIONS_BOUND
    assert body["extensions"]["cost"] == {"requested": 1 + organizations + organizations, "actual": 3}


async def test_the_attacks_are_refused_before_running(http: httpx.AsyncClient, settings: Settings) -> None:
    # guidelines (1) + 1000 guidelines x (1 + MAX_IDS subjects x (1 + BASE_IMAGES_BOUND x (image + shot type))).
    per_alias = 1 + 1000 * (1 + MAX_IDS * (1 + BASE_IMAGES_BOUND * 2))
    for query, price in ((INTROSPECTION_ATTACK, None), (GUIDELINES_ATTACK, 30 * per_alias)):
        answer = await post(http, query)
        body = answer.json()
        assert answer.status_code == 200  # as the depth, alias and token limits answer
        assert "data" not in body or body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["maxCost"] == settings.query_max_cost
        assert error["extensions"]["cost"] > settings.query_max_cost
        if price is not None:
            assert error["extensions"]["cost"] == price
        assert "extensions" not in body  # nothing ran, nothing was charged


async def test_graphiql_introspection_and_the_bench_pages_are_allowed(
    http: httpx.AsyncClient, accounts: Accounts, settings: Settings
) -> None:
    query = get_introspection_query(descriptions=True, specified_by_url=True, input_value_deprecation=True)
    body = (await post(http, query)).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    cost = body["extensions"]["cost"]
    assert 0 < cost["actual"] < cost["requested"] < settings.query_max_cost / 2
    account = await accounts.user()
    for page, size in ((SUBJECTS_PAGE, SUBJECTS_PAGE_SIZE), (GUIDELINES_PAGE, GUIDELINES_PAGE_SIZE)):
        body = (await post(http, page, {"limit": size}, headers=account.headers)).json()
        assert body["data"] is not None and "errors" not in body, body
        assert body["extensions"]["cost"]["requested"] < settings.query_max_cost / 2


def test_every_list_of_objects_has_a_bound() -> None:
    """A list field added without a bound would be priced as a full page by default: name its bound instead."""
    graphql = graphql_schema(schema)
    limited = {
        get_named_type(definition.type).name
        for definition in graphql.query_type.fields.values()  # type: ignore[union-attr]
        if "limit" in definition.args
    }
    for type_ in graphql.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for name, definition in type_.fields.items():
            if isinstance(get_nullable_type(definition.type), ListType) and not is_leaf_type(
                get_named_type(definition.type)
            ):
                paged = name == PAGE_FIELD and type_.name in limited
                assert paged or (type_.name, name) in LIST_BOUNDS, f"{type_.name}.{name} has no bound"


@pytest.fixture
async def small_budget_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app with a budget of 300 a minute (5 a second) and a price limit of 200, on keys of its own."""
    prefix = f"studio-test-cost-{uuid.uuid4().hex[:8]}"
    app = create_app(
        settings.model_copy(update={"query_max_cost": 200, "cost_budget_per_minute": 300, "redis_prefix": prefix})
    )
    yield app
    await close_app(app)


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# Every type's name: 1 + one object per type of the schema, all of them answered, so nothing comes back.
TYPE_NAMES = "{ __schema { types { name } } }"


async def test_a_spent_budget_is_rate_limited_per_caller(small_budget_app: Starlette, accounts: Accounts) -> None:
    async with _client(small_budget_app) as http:
        first = (await post(http, TYPE_NAMES)).json()
        price = first["extensions"]["cost"]["requested"]
        assert first["extensions"]["cost"]["actual"] == price == 1 + len(graphql_schema(schema).type_map)
        assert "errors" not in (await post(http, TYPE_NAMES)).json()
        # 2 x 101 of 300 spent (plus what a second refilled): a third does not fit.
        refused = await post(http, TYPE_NAMES)
        assert refused.status_code == 429
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        retry_after = error["extensions"]["retryAfter"]
        assert isinstance(retry_after, int) and 1 <= retry_after <= 60
        assert refused.headers["retry-after"] == str(retry_after)
        # Another caller (a user, not this client address) has a budget of its own.
        account = await accounts.user()
        other = await post(http, TYPE_NAMES, headers=account.headers)
        assert other.status_code == 200 and other.json()["extensions"]["cost"]["actual"] == price


async def test_unused_cost_is_refunded(small_budget_app: Starlette, accounts: Accounts) -> None:
    account = await accounts.user()
    async with _client(small_budget_app) as http:
        # Each reserves 101 of the 300 and uses 1: without the refund, the third would be refused.
        for _ in range(10):
            body = (await post(http, ORGANIZATIONS, headers=account.headers)).json()
            assert body["extensions"]["cost"] == {"requested": 1 + ORGANIZATIONS_BOUND, "actual": 1}, body


# Priced 1 + n (the list and n subjects), answered as the list alone for a user in no organization: n given back.
SUBJECT_IDS = "query($n: Int) { subjects(limit: $n) { data { id } } }"


async def test_two_processes_share_the_budget_and_see_each_others_refunds(
    settings: Settings, accounts: Accounts
) -> None:
    """Two apps on one REDIS_PREFIX are two API processes serving one user."""
    # Nine aliases of every type's name, each answered in full: nothing given back.
    spend_all = "{ " + " ".join(f"a{n}: __schema {{ types {{ name }} }}" for n in range(9)) + " }"
    price = 9 * (1 + len(graphql_schema(schema).type_map))
    # 300 more than that a minute, refilled at a sixtieth of it a second (~20).
    limits = {"query_max_cost": price, "cost_budget_per_minute": price + 300}
    prefix = f"studio-test-cost-{uuid.uuid4().hex[:8]}"
    first, second = (create_app(settings.model_copy(update={**limits, "redis_prefix": prefix})) for _ in range(2))
    account = await accounts.user()
    try:
        async with _client(first) as one, _client(second) as other:
            assert (await post(other, spend_all, headers=account.headers)).json()["extensions"]["cost"] == {
                "requested": price,
                "actual": price,
            }
            # 300 left, for both processes.
            assert (await post(one, spend_all, headers=account.headers)).status_code == 429
            answer = (await post(one, SUBJECT_IDS, {"n": 249}, headers=account.headers)).json()
            assert answer["extensions"]["cost"] == {"requested": 250, "actual": 1}
            # 50 left in Redis and 249 to give back. The other process answers a price of 280 once the refund has
            # reached Redis, without another operation on the first (refill alone would take over 10 s); until
            # then it is RATE_LIMITED, which takes nothing, so asking again costs nothing.
            for _ in range(100):
                again = await post(other, SUBJECT_IDS, {"n": 279}, headers=account.headers)
                if again.status_code == 200:
                    break
                assert again.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the refund never reached the other process")
    finally:
        for app in (first, second):
            await close_app(app)


async def test_over_the_price_limit_is_refused_before_the_budget(small_budget_app: Starlette) -> None:
    async with _client(small_budget_app) as http:
        refused = (await post(http, "{ subjects(limit: 2) { data { id baseImages { imageUrl } } } }")).json()
        assert refused["errors"][0]["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 1 + 2 * 101, "maxCost": 200}


async def test_redis_unreachable_lifts_only_the_budget(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    # Redis refuses connections: the operation runs (the price limit still applies), and the log says why it ran
    # without a budget.
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(settings.model_copy(update={"redis_url": unreachable, "query_max_cost": 200}))
    try:
        async with _client(app) as http:
            answer = await post(http, TYPE_NAMES)
            assert answer.status_code == 200
            assert answer.json()["extensions"]["cost"]["actual"] == answer.json()["extensions"]["cost"]["requested"]
            assert "Cost budget unreachable, operation runs without one: ConnectionRefusedError" in caplog.text
            refused = (await post(http, "{ subjects(limit: 2) { data { baseImages { imageUrl } } } }")).json()
            assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    finally:
        await app.state.resources.close()


async def test_anonymous_budgets_follow_forwarded_addresses_only_from_trusted_proxies(settings: Settings) -> None:
    """The test client's peer is 127.0.0.1. Not trusted: a forged X-Forwarded-For does not buy a fresh budget.
    Trusted (FORWARDED_ALLOW_IPS): each forwarded client spends a budget of its own."""
    prefix = f"studio-test-cost-{uuid.uuid4().hex[:8]}"
    limits = {"query_max_cost": 200, "cost_budget_per_minute": 300}
    untrusted = create_app(settings.model_copy(update={**limits, "redis_prefix": prefix + "-a"}))
    trusted = create_app(
        settings.model_copy(update={**limits, "redis_prefix": prefix + "-b", "forwarded_allow_ips": "127.0.0.1"})
    )
    try:
        async with _client(untrusted) as http:
            statuses = [
                (await post(http, TYPE_NAMES, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
                for n in range(3)
            ]
            assert statuses == [200, 200, 429]
        async with _client(trusted) as http:
            statuses = [
                (await post(http, TYPE_NAMES, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
                for n in range(3)
            ]
            assert statuses == [200, 200, 200]
            spent = [(await post(http, TYPE_NAMES, headers={"X-Forwarded-For": "203.0.113.0"})).status_code]
            spent.append((await post(http, TYPE_NAMES, headers={"X-Forwarded-For": "203.0.113.0"})).status_code)
            assert spent == [200, 429]  # that one client's third
    finally:
        for app in (untrusted, trusted):
            await close_app(app)
