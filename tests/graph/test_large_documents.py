"""Large documents (graph/documents.py) are parsed off the event loop, and answered exactly as small ones: the same
data, the same syntax errors, the same token limit. (That the loop keeps answering meanwhile is measured by
`bench/attacks.py`, not asserted here.)"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from graphql import GraphQLError, parse

from graph.documents import LARGE_DOCUMENT_CHARS

# Under REQUEST_MAX_BYTES (1 MiB) with its JSON around it, and far over LARGE_DOCUMENT_CHARS.
LARGE = 900 * 1024


async def post(http: httpx.AsyncClient, query: str) -> tuple[int, Any]:
    answer = await http.post("/graphql", json={"query": query})
    assert answer.headers["content-type"] == "application/json"
    return answer.status_code, orjson.loads(answer.content)


def syntax_error_of(query: str, max_tokens: int = 5000) -> GraphQLError:
    try:
        parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        return error
    raise AssertionError("the document parses")


async def test_a_large_document_is_answered(http: httpx.AsyncClient) -> None:
    name = "a" * LARGE
    assert len(name) > LARGE_DOCUMENT_CHARS
    answered = {"data": {"__type": None}, "extensions": {"cost": {"requested": 1, "actual": 0}}}
    assert await post(http, f'{{ __type(name: "{name}") {{ name }} }}') == (200, answered)
    # Once parsed, it is kept like any other document: the same answer again.
    assert await post(http, f'{{ __type(name: "{name}") {{ name }} }}') == (200, answered)
    padded = "{ __typename }" + " " * LARGE
    status, body = await post(http, padded)
    assert (status, body["data"]) == (200, {"__typename": "Query"})


async def test_a_syntax_error_in_a_large_document_is_answered_as_in_a_small_one(http: httpx.AsyncClient) -> None:
    small = "{ __typename } }"
    large = "{ __typename }" + " " * LARGE + "}"
    small_status, small_body = await post(http, small)
    large_status, large_body = await post(http, large)
    assert large_status == small_status
    [error] = large_body["errors"]
    expected = syntax_error_of(large)
    assert error == {
        "message": expected.message,
        "locations": [{"line": location.line, "column": location.column} for location in expected.locations or []],
        "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
    }
    assert small_body["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert error["locations"] == [{"line": 1, "column": len(large)}]


async def test_the_token_limit_holds_for_large_documents(http: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{index}: __typename" for index in range(3000))  # 9,000 tokens, ~60 KB
    assert len(aliases) > LARGE_DOCUMENT_CHARS
    large_status, large_body = await post(http, "{ " + aliases + " }")
    small_status, small_body = await post(http, "{ " + "a " * 6000 + "}")  # 6,002 tokens in 12 KB, on the loop
    assert large_status == small_status
    [error] = large_body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    assert error["message"] == small_body["errors"][0]["message"]
    assert "Document contains more than 5000 tokens" in error["message"]
