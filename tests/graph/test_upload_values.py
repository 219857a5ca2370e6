"""An Upload argument given a value in a JSON request (no file) is the client's mistake, refused with a code before
any resolver runs; it was an INTERNAL_SERVER_ERROR (found by `make fuzz`, bench/fuzz.py)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import Accounts

NOT_A_FILE = "an Upload is a file sent as a GraphQL multipart request, not a value in the query or its variables"
ID = str(uuid.uuid4())
# Every mutation taking an Upload, with its other arguments made valid.
TAKING_FILES = {
    "uploadMedia": ("", "{ id }"),
    "uploadSubjectLora": (f', subjectId: "{ID}", loraTrigger: "tok"', "{ id }"),
    "uploadStyleLora": (f', styleId: "{ID}", loraTrigger: "tok"', "{ id }"),
    "uploadSubjectBaseImagesZip": ("", "{ id }"),
}


@pytest.mark.parametrize("field", sorted(TAKING_FILES))
async def test_a_literal_upload_is_a_validation_error(http: httpx.AsyncClient, accounts: Accounts, field: str) -> None:
    account = await accounts.user(superuser=True)
    arguments, selection = TAKING_FILES[field]
    for literal in ('""', '"photo.jpg"', "7", "true", '{ name: "x" }', "[1]"):
        query = f"mutation {{ {field}(file: {literal}{arguments}) {selection} }}"
        response = await http.post("/graphql", json={"query": query}, headers=account.headers)
        body = response.json()
        assert response.status_code == 200 and body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}, (literal, body)
        assert NOT_A_FILE in error["message"]


@pytest.mark.parametrize("field", sorted(TAKING_FILES))
async def test_an_upload_variable_without_a_file_is_bad_user_input(
    http: httpx.AsyncClient, accounts: Accounts, field: str
) -> None:
    account = await accounts.user(superuser=True)
    arguments, selection = TAKING_FILES[field]
    query = f"mutation($file: Upload!) {{ {field}(file: $file{arguments}) {selection} }}"
    for value in ("", "photo.jpg", 7, {"filename": "a.png"}, [1]):
        payload = {"query": query, "variables": {"file": value}}
        response = await http.post("/graphql", json=payload, headers=account.headers)
        body = response.json()
        assert response.status_code == 200 and body.get("data") is None, body
        [error] = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}, (value, body)
        assert NOT_A_FILE in error["message"]
