"""Metrics and logs of a real API process (README, "Operating it"): `/metrics` scraped and parsed as Prometheus
does, and the JSON lines the process writes to stderr, each parsed."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from graph.metrics import OperationNames, metrics_registry
from tests.api_process import ApiProcess, start_api_process
from tests.conftest import Account, Accounts, GraphQLClient
from tests.graph.test_persisted_queries import by_hash, registering, unique
from tests.jobs.conftest import worker_environment
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import data_of, processing_tasks, subscribed
from tests.scrapes import METRICS_TOKEN, Scrape, parse, scrape

POOL_SIZE = 7
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
LOG_WAIT_SECONDS = 10.0

StartApi = Callable[..., Awaitable[ApiProcess]]


def shot_types(name: str | None) -> str:
    return f"query {name or ''} {{ shotTypes(includePublic: true) {{ count }} }}"


@pytest.fixture(scope="module")
async def start_api(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Callable[..., Awaitable[ApiProcess]]]:
    """API processes as a deployment runs them, logging JSON, with a metrics token and a small pool."""
    folder = tmp_path_factory.mktemp("observed-api")
    started: list[ApiProcess] = []

    async def start(**overrides: str) -> ApiProcess:
        env = worker_environment(
            settings,
            LOG_FORMAT="json",
            METRICS_TOKEN=METRICS_TOKEN,
            DATABASE_POOL_SIZE=str(POOL_SIZE),
            **overrides,
        )
        api = start_api_process(env, folder / f"api-{len(started) + 1}.log")
        started.append(api)
        await api.wait_ready()
        return api

    yield start
    for api in started:
        api.stop()


@pytest.fixture(scope="module")
async def api(start_api: StartApi) -> ApiProcess:
    return await start_api()


@pytest.fixture
async def client(api: ApiProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http_client:
        yield http_client


def log_lines(api: ApiProcess) -> list[dict[str, Any]]:
    """Every line the process wrote, each of which must be one JSON object."""
    lines = []
    for text in api.log_path.read_text().splitlines():
        line = json.loads(text)
        assert isinstance(line, dict), text
        lines.append(line)
    return lines


async def logged(api: ApiProcess, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first line meeting `condition`, waiting for it: a request's line is written once its answer is sent."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while True:
        found = [line for line in log_lines(api) if condition(line)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no such line in:\n{api.log_path.read_text()[-4000:]}"
        await asyncio.sleep(0.05)


async def request_line(api: ApiProcess, request_id: str) -> dict[str, Any]:
    return await logged(api, lambda line: line.get("logger") == "graph.requests" and line["request_id"] == request_id)


async def post(client: httpx.AsyncClient, query: str, account: Account | None, **extra: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, **extra}, headers=account.headers if account else {})


def requests_of(scrape_: Scrape, name: str, operation_type: str) -> float:
    return scrape_.value("graphql_requests_total", operation_name=name, operation_type=operation_type)


# --- metrics -----------------------------------------------------------------------------------------------------


async def test_requests_are_counted_by_operation_name_and_type_with_the_names_bounded(
    start_api: StartApi, accounts: Accounts
) -> None:
    api = await start_api(METRICS_OPERATION_NAMES="2")
    owner = await accounts.user()
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        for name in ("First", "First", "Second", "Third", None):
            response = await post(client, shot_types(name), owner)
            assert response.status_code == 200 and "errors" not in response.json(), response.text
        # An operationName the document lacks: refused before any operation was chosen.
        refused = await post(client, shot_types("First"), owner, operationName="Missing")
        assert refused.status_code == 400, refused.text
        metrics = await scrape(client)

    # The first two names are kept; a third, an anonymous operation and a refusal fold into one value each.
    assert requests_of(metrics, "First", "query") == 2
    assert requests_of(metrics, "Second", "query") == 1
    assert requests_of(metrics, "(other)", "query") == 2
    assert requests_of(metrics, "(other)", "(none)") == 1
    assert metrics.label_values("graphql_requests_total", "operation_name") == {"First", "Second", "(other)"}
    assert metrics.value("graphql_request_duration_seconds_count", operation_name="First", operation_type="query") == 2
    assert metrics.value("graphql_errors_total", code="BAD_REQUEST") == 1


async def test_errors_are_counted_by_code_and_cost_by_measure(client: httpx.AsyncClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    before = await scrape(client)
    unauthenticated = await post(client, "query Me { me { email } }", None)
    not_json = await client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    priced = await post(client, "query Priced { shotTypes(includePublic: true) { count data { id } } }", owner)
    after = await scrape(client)

    assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not_json.status_code == 400 and not_json.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for code in ("UNAUTHENTICATED", "BAD_REQUEST"):
        assert after.value("graphql_errors_total", code=code) - before.value("graphql_errors_total", code=code) == 1

    costs = [answer.json()["extensions"]["cost"] for answer in (unauthenticated, priced)]
    assert costs[1]["requested"] > costs[1]["actual"] > 0, costs  # a page of 100 priced, fewer shot types there
    for measure in ("requested", "actual"):

        def grew(sample: str, measure: str = measure) -> float:
            return after.value(sample, measure=measure) - before.value(sample, measure=measure)

        assert grew("graphql_operation_cost_count") == 2
        assert grew("graphql_operation_cost_sum") == sum(cost[measure] for cost in costs)


async def test_metrics_answer_only_the_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {METRICS_TOKEN}"}):
        refused = await client.get("/metrics", headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == {"detail": "Metrics need Authorization: Bearer <METRICS_TOKEN>"}
        assert GENERATED_ID.fullmatch(refused.headers["x-request-id"])
    assert "graphql_requests" in (await scrape(client)).families  # with the token


async def test_the_pool_and_the_counts_kept_elsewhere_are_served(client: httpx.AsyncClient) -> None:
    metrics = await scrape(client)
    assert metrics.value("db_pool_size") == POOL_SIZE
    assert ("db_pool_checked_out", frozenset()) in metrics.samples
    assert 0 <= metrics.value("db_pool_checked_out") <= POOL_SIZE
    assert metrics.value("process_resident_memory_bytes") > 0
    # Families read at scrape time from the counts other modules keep (samples only once something is counted).
    assert {"graphql_execution_fallbacks", "graphql_persisted_queries"} <= metrics.families
    # The garbage collector's pauses (core/metrics.GcPauses), recorded since start-up.
    assert {"python_gc_pause_seconds", "python_gc_pause_max_seconds"} <= metrics.families


async def test_websocket_connections_and_subscriptions_are_gauged_while_open(
    api: ApiProcess,
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    owner = await accounts.user()
    [task_id] = await processing_tasks(session_factory, owner, await make_subject(gql, owner), 1)
    progress = "subscription Progress($id: UUID!) { uploadTaskProgress(taskId: $id) { status } }"

    def open_now(metrics: Scrape) -> tuple[float, float]:
        return metrics.value("graphql_websocket_connections_open"), metrics.value("graphql_subscriptions_open")

    before = await scrape(client)
    async with subscribed(api.host, owner, progress, {"id": task_id}) as operation:
        assert data_of(await operation.next()) == {"status": "PROCESSING"}
        request_id = operation.ws.response.headers["x-request-id"]  # type: ignore[union-attr]
        during = await scrape(client)
    assert open_now(during) == (open_now(before)[0] + 1, open_now(before)[1] + 1)

    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while open_now(after := await scrape(client)) != open_now(before):
        assert time.monotonic() < deadline, open_now(after)
        await asyncio.sleep(0.05)
    assert requests_of(after, "Progress", "subscription") - requests_of(before, "Progress", "subscription") == 1
    # Its line once it ended, under the id the handshake answered: no HTTP status, the caller's id.
    line = await request_line(api, request_id)
    assert (line["operation_name"], line["operation_type"], line["status"]) == ("Progress", "subscription", None)
    assert (line["user_id"], line["error_codes"]) == (str(owner.id), [])


# --- logs --------------------------------------------------------------------------------------------------------


async def test_each_graphql_request_logs_one_json_line_with_its_request_id(
    api: ApiProcess, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    owner = await accounts.user()
    given = "client.Request_id-42"
    response = await client.post(
        "/graphql", json={"query": shot_types("Logged")}, headers={**owner.headers, "X-Request-ID": given}
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == given

    line = await request_line(api, given)
    assert {key: line[key] for key in ("level", "logger", "operation_name", "operation_type", "user_id")} == {
        "level": "INFO",
        "logger": "graph.requests",
        "operation_name": "Logged",
        "operation_type": "query",
        "user_id": str(owner.id),
    }
    assert (line["status"], line["error_codes"]) == (200, [])
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["timestamp"].startswith(time.strftime("%Y-", time.gmtime()))
    # Every line logged while the request was handled carries its id: uvicorn's access line too.
    access = await logged(api, lambda line: line["logger"] == "uvicorn.access" and line.get("request_id") == given)
    assert '"POST /graphql HTTP/1.1" 200' in access["message"]
    same_request = [other for other in log_lines(api) if other.get("request_id") == given]
    assert len(same_request) == 2 and line in same_request and access in same_request, same_request


async def test_a_request_id_is_made_when_none_or_a_malformed_one_is_given(
    api: ApiProcess, client: httpx.AsyncClient
) -> None:
    for given in (None, b"has space", b"x" * 129, b"", b"semi;colon", "é".encode()):
        headers = {"X-Request-ID": given} if given is not None else {}
        response = await client.post("/graphql", content=b"{not json", headers=headers)
        made = response.headers["x-request-id"]
        assert GENERATED_ID.fullmatch(made), made
        line = await request_line(api, made)
        assert (line["status"], line["error_codes"], line["operation_type"], line["user_id"]) == (
            400,
            ["BAD_REQUEST"],
            None,
            None,
        )
    assert (await client.get("/graphql", headers={"X-Request-ID": "x" * 128})).headers["x-request-id"] == "x" * 128


async def test_every_response_carries_its_request_id(client: httpx.AsyncClient, settings: Settings) -> None:
    answers = {
        "healthz": await client.get("/healthz"),
        "metrics": await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}),
        "missing media": await client.get("/media/no-such-file.png"),
        "too large": await client.post("/graphql", content=b"x" * (settings.request_max_bytes + 1)),
    }
    statuses = {what: answer.status_code for what, answer in answers.items()}
    assert statuses == {"healthz": 200, "metrics": 200, "missing media": 404, "too large": 413}
    for answer in answers.values():
        assert GENERATED_ID.fullmatch(answer.headers["x-request-id"])


async def test_no_secret_reaches_the_log(api: ApiProcess, client: httpx.AsyncClient, accounts: Accounts) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    account = await accounts.user(password=password)
    login = """mutation Login($email: String!, $password: String!) {
      login(email: $email, password: $password) { accessToken } }"""
    answer = await post(client, login, None, variables={"email": account.user.email, "password": password})
    token = answer.json()["data"]["login"]["accessToken"]
    await post(client, "query Me { me { email } }", None)  # anonymous, for contrast
    with_token = await client.post(
        "/graphql", json={"query": "query Me { me { email } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert with_token.json()["data"]["me"]["email"] == account.user.email
    # GET puts the document in the query string, which uvicorn's access line would show: refused, and not logged.
    inline = f'mutation {{ login(email: "{account.user.email}", password: "{password}") {{ accessToken }} }}'
    over_get = await client.get("/graphql", params={"query": inline}, headers={"Accept": "application/json"})
    assert over_get.status_code == 405
    await request_line(api, over_get.headers["x-request-id"])
    me_line = await request_line(api, with_token.headers["x-request-id"])
    assert me_line["user_id"] == str(account.id)

    text = api.log_path.read_text()
    for secret in (password, token, METRICS_TOKEN, account.token):
        assert secret not in text
    assert "authorization" not in text.lower()


async def test_persisted_query_lookups_are_served_by_outcome(app: Starlette, http: httpx.AsyncClient) -> None:
    def served() -> Scrape:
        return parse(generate_latest(metrics_registry(app.state.resources)).decode())

    def outcome(metrics: Scrape, name: str) -> float:
        return metrics.value("graphql_persisted_queries_total", outcome=name)

    before = served()
    query = unique("query NAME { __typename }")
    assert (await by_hash(http, query)).json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await registering(http, query)).json()["data"] == {"__typename": "Query"}
    assert (await by_hash(http, query)).json()["data"] == {"__typename": "Query"}
    after = served()
    assert {name: outcome(after, name) - outcome(before, name) for name in ("miss", "registered", "hit_memory")} == {
        "miss": 1,
        "registered": 1,
        "hit_memory": 1,
    }


def test_only_graphql_names_become_labels_and_only_the_first_ones() -> None:
    names = OperationNames(limit=2)
    # Not GraphQL names (a refusal's operationName could be anything): folded, and they take no place.
    for refused in ("has space", "1starts_with_digit", "x" * 101, "é", ""):
        assert names.label(refused) == "(other)"
    assert [names.label(name) for name in ("A", "_b", "A", "C", None, "_b")] == [
        "A",
        "_b",
        "A",
        "(other)",
        "(other)",
        "_b",
    ]
    assert names.label("x" * 100) == "(other)"  # a GraphQL name, but past the limit
