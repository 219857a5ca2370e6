"""The edge: error codes, query limits, health, schema drift, GraphiQL on the real app."""

from __future__ import annotations

from pathlib import Path

import httpx
from graphql import GraphQLError

from core.settings import Settings
from graph.errors import INTERNAL_MESSAGE, classify
from graph.schema import build_schema, schema
from services.errors import BadUserInputError, NotFoundError
from tests.conftest import Accounts, GraphQLClient, error_code

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_parse_and_validation_errors_have_their_codes(gql: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user()
    assert error_code(await gql.error("{ me { ", as_=account)) == "GRAPHQL_PARSE_FAILED"
    assert error_code(await gql.error("{ nonsense }", as_=account)) == "GRAPHQL_VALIDATION_FAILED"
    bad_variable = await gql.error("query($id: UUID!) { shotType(id: $id) { id } }", {"id": "not-a-uuid"}, as_=account)
    assert error_code(bad_variable) == "BAD_USER_INPUT"


async def test_query_depth_is_limited(settings: Settings) -> None:
    # The schema has no cycles yet, so no legitimate query is deep; a schema built with a depth of 1 shows the
    # limiter refusing a deeper document before anything runs (fragments cannot hide depth: they are expanded).
    shallow = build_schema(settings.model_copy(update={"query_max_depth": 1}))
    for document in (
        "{ me { organizations { id } } }",
        "query Q { ...F } fragment F on Query { me { organizations { id } } }",
    ):
        result = await shallow.execute(document)
        assert result.errors is not None
        assert [e.extensions["code"] for e in result.errors] == ["QUERY_TOO_COMPLEX"]  # type: ignore[index]
        assert result.data is None


async def test_aliases_and_tokens_are_limited(gql: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user()
    settings = gql.http._transport.app.state.resources.settings  # type: ignore[attr-defined]
    allowed = " ".join(f"a{i}: me {{ id }}" for i in range(settings.query_max_aliases))
    assert len(await gql.data("{ " + allowed + " }", as_=account)) == settings.query_max_aliases
    too_many = " ".join(f"a{i}: me {{ id }}" for i in range(settings.query_max_aliases + 1))
    assert error_code(await gql.error("{ " + too_many + " }", as_=account)) == "QUERY_TOO_COMPLEX"
    huge = "{ me { " + "id " * settings.query_max_tokens + "} }"
    assert error_code(await gql.error(huge, as_=account)) == "QUERY_TOO_COMPLEX"


def test_unexpected_errors_are_masked_and_domain_errors_keep_their_code() -> None:
    secret = GraphQLError("boom", original_error=RuntimeError("SELECT password FROM users"), path=["me"])
    assert classify(secret) == ("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, {})
    missing = GraphQLError("x", original_error=NotFoundError("Shot type"), path=["shotType"])
    assert classify(missing) == ("NOT_FOUND", "Shot type not found", {})
    bad = GraphQLError("x", original_error=BadUserInputError({"input.name": "too long"}), path=["createShotType"])
    assert classify(bad)[0] == "BAD_USER_INPUT"
    assert classify(bad)[2] == {"fields": {"input.name": "too long"}}


def test_schema_file_matches_the_code() -> None:
    on_disk = (REPO_ROOT / "schema.graphql").read_text()
    assert on_disk.strip() == schema.as_str().strip(), "schema.graphql is stale: run `make schema`"


async def test_graphiql_is_served_by_the_app(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "https://" not in page.text and "http://" not in page.text
