"""The operation pipeline (graph/pipeline.py): what it keeps per document is the same for every caller and every
request, the per-request checks still run on a kept document, and its steps run in their order."""

from __future__ import annotations

import httpx
from graphql import GraphQLError, parse
from starlette.applications import Starlette
from starlette.routing import Route

from graph.documents import DocumentStore
from graph.schema import Schema
from tests.conftest import Accounts

SEARCH = "query($s: String) { shotTypes(search: $s) { count } }"
INVALID = "{ shotTypes { count noSuchField } }"


async def post(
    http: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/graphql", json=body, headers=headers or {})


def documents_of(app: Starlette) -> DocumentStore:
    view = next(route.endpoint for route in app.routes if isinstance(route, Route) and route.path == "/graphql")
    schema: Schema = view.schema
    return schema.pipeline_parts.documents


async def test_a_kept_document_still_meets_each_requests_checks(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account, other = await accounts.user(), await accounts.user()
    # The document is kept (and its validation outcome) by the first answer; the variables are checked every time.
    first = await post(http, {"query": SEARCH, "variables": {"s": "front"}}, account.headers)
    assert first.json() == {
        "data": {"shotTypes": {"count": 0}},
        "extensions": {"cost": first.json()["extensions"]["cost"]},
    }
    refused = (await post(http, {"query": SEARCH, "variables": {"s": "a\x00b"}}, other.headers)).json()
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"s": "must not contain a NUL character"},
    }
    # The refusal of one request is not the document's: the next one, by the first caller, runs.
    again = await post(http, {"query": SEARCH, "variables": {"s": "back"}}, account.headers)
    assert again.json()["data"] == {"shotTypes": {"count": 0}}
    # Anonymous after authenticated: the answer is the anonymous caller's own (the list needs a caller).
    anonymous = (await post(http, {"query": SEARCH, "variables": {"s": "back"}})).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_kept_validation_outcome_answers_the_same_every_time(app: Starlette, http: httpx.AsyncClient) -> None:
    answers = [await post(http, {"query": INVALID}) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {200}
    bodies = [answer.json() for answer in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert [error["extensions"]["code"] for error in bodies[0]["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    # What is kept is graphql-core's error, never the coded copy a client received.
    document = documents_of(app).get(INVALID)
    assert document is not None
    kept = documents_of(app).validation_errors(INVALID, document, lambda: [])
    assert [error.extensions for error in kept] == [{}]


async def test_validation_comes_before_the_checks_and_the_name_check_first(http: httpx.AsyncClient) -> None:
    # Invalid and holding a NUL: the validation error alone.
    invalid = (await post(http, {"query": INVALID, "variables": {"s": "a\x00"}})).json()
    assert [error["extensions"]["code"] for error in invalid["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    # Two operations, no operationName, a NUL: the missing name (HTTP 400), before the NUL.
    two = "query A($s: String) { shotTypes(search: $s) { count } } query B { __typename }"
    unnamed = await post(http, {"query": two, "variables": {"s": "a\x00"}})
    assert unnamed.status_code == 400
    assert [error["extensions"]["code"] for error in unnamed.json()["errors"]] == ["BAD_REQUEST"]
    named = (await post(http, {"query": two, "variables": {"s": "a\x00"}, "operationName": "A"})).json()
    assert [error["extensions"]["code"] for error in named["errors"]] == ["BAD_USER_INPUT"]


def test_the_store_validates_a_kept_document_once_and_hands_out_copies() -> None:
    store = DocumentStore(max_tokens=100)
    text = "{ a }"
    document = parse(text)
    store.keep(text, document)
    runs: list[int] = []

    def validate() -> list[GraphQLError]:
        runs.append(1)
        return [GraphQLError("invalid")]

    first = store.validation_errors(text, document, validate)
    first.append(GraphQLError("a caller's own"))
    second = store.validation_errors(text, document, validate)
    assert len(runs) == 1 and [error.message for error in second] == ["invalid"]
    # A document that is not the one kept under its text (parsed again meanwhile) is validated every time.
    store.validation_errors(text, parse(text), validate)
    store.validation_errors(None, document, validate)
    assert len(runs) == 3
