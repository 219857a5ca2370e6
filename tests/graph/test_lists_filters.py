"""Every list's filter, through GraphQL: each enum column (a list of values), each boolean column, the creation
time range, search (case-insensitive, with the list's own `search` argument kept beside it), and `deleted`
(superusers only). Each test runs for every list (tests/graph/lists_cases.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.lists_cases import CASES, DELETED, ListCase, Reader, ids, seed_case

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)

Row = dict[str, Any]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def shown(case: ListCase, rows: list[Row], keep: Callable[[Row], bool], *, filtered: tuple[str, ...] = ()) -> set[str]:
    """The ids a list answers for a filter keeping `keep`: of the live rows, and of those the list shows
    unless its filter names the column (`filtered`: the columns the filter names)."""
    hidden = {column: value for column, value in case.hidden_unless_filtered.items() if column not in filtered}
    return set(
        ids(
            [
                row
                for row in rows
                if row.get("deleted_at") is None
                and all(row[column] == value for column, value in hidden.items())
                and keep(row)
            ]
        )
    )


async def test_enum_boolean_and_time_filters(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    caller = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, caller)
    reader = Reader(gql, case, caller, token)

    async def answered(filter: dict[str, Any]) -> set[str]:
        page = await reader.page(filter, limit=1000)
        assert page["count"] == len(page["data"])
        return {item["id"] for item in page["data"]}

    assert await answered({}) == shown(case, rows, lambda row: True)
    for column in case.choices:
        wanted = [rows[1][column], rows[2][column]]
        names = [value.name for value in wanted]
        expected = shown(case, rows, lambda row, c=column, w=wanted: row[c] in w)
        assert await answered({_camel(column): names}) == expected, column
        assert await answered({_camel(column): []}) == set(), column
    for column in case.flags:
        either: set[str] = set()
        for value in (True, False):
            expected = shown(case, rows, lambda row, c=column, v=value: row[c] is v, filtered=(column,))
            assert await answered({_camel(column): value}) == expected, (column, value)
            either |= expected
        assert either == shown(case, rows, lambda row: True, filtered=(column,)) != set()
    start = rows[0]["created_at"]
    after, before = start + timedelta(seconds=1), start + timedelta(seconds=3)
    assert await answered({"createdAfter": after.isoformat()}) == shown(
        case, rows, lambda row: row["created_at"] >= after
    )
    assert await answered({"createdBefore": before.isoformat()}) == shown(
        case, rows, lambda row: row["created_at"] < before
    )
    both = await answered({"createdAfter": after.isoformat(), "createdBefore": before.isoformat()})
    assert both == shown(case, rows, lambda row: after <= row["created_at"] < before) != set()
    # Conditions combine: every one given must hold.
    if case.flags:
        flag = case.flags[0]
        combined = shown(case, rows, lambda row: row[flag] is True and row["created_at"] >= after, filtered=(flag,))
        assert await answered({_camel(flag): True, "createdAfter": after.isoformat()}) == combined


async def test_search(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    caller = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, caller)
    reader = Reader(gql, case, caller, token)
    everything = shown(case, rows, lambda row: True)
    # Case-insensitive, and the user's own % and _ taken literally.
    for search in (token.upper(), f" {token} "):
        assert set(await reader.all_ids({"search": search})) == everything
    assert await reader.all_ids({"search": f"{token}%"}) == []
    assert await reader.all_ids({"search": "x" + token}) == []
    column = {"users": "email", "subject_base_images_upload_tasks": "error_message"}.get(
        case.model.__tablename__, "name"
    )
    # The text of one row shown (its name's letter, or its email up to the @), which some others share.
    sample = next(row[column] for row in rows if str(row["id"]) in everything)
    narrowed = sample.split("@")[0] + "@" if column == "email" else sample

    def keep(row: Row) -> bool:
        return narrowed.lower() in row[column].lower()

    expected = shown(case, rows, keep)
    assert set(await reader.all_ids({"search": narrowed})) == expected != set()


async def test_deleted_rows_are_listed_for_superusers_only(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    if not case.soft_deletes:
        document = await gql(
            "query($t: String!) { __type(name: $t) { inputFields { name } } }", {"t": f"{case.type_name}Filter"}
        )
        assert "deleted" not in {field["name"] for field in document["data"]["__type"]["inputFields"]}
        return
    owner = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, owner)
    superuser = owner if case.superuser else await accounts.user(superuser=True)
    reader = Reader(gql, case, superuser, token)
    deleted = {
        str(row["id"])
        for index, row in enumerate(rows)
        if index in DELETED and all(row[c] == v for c, v in case.hidden_unless_filtered.items())
    }
    assert deleted
    assert set(await reader.all_ids({"deleted": True})) == deleted
    live = shown(case, rows, lambda row: True)
    assert set(await reader.all_ids({"deleted": False})) == set(await reader.all_ids()) == live
    # Keyset pages work over deleted rows too.
    assert await reader.keyset_walk(1, {"deleted": True}) == await reader.all_ids({"deleted": True})
    if not case.superuser:
        as_owner = Reader(gql, case, owner, token)
        refused = await as_owner.error({"deleted": True})
        assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "Only superusers may list deleted objects")
        assert set(await as_owner.all_ids({"deleted": False})) == live


async def test_a_lists_own_search_argument_stays_beside_filter_search(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    arguments = await gql(
        "query { __schema { queryType { fields { name args { name } } } } }", as_=await accounts.user()
    )
    fields = {field["name"]: field for field in arguments["data"]["__schema"]["queryType"]["fields"]}
    if "search" not in {argument["name"] for argument in fields[case.field]["args"]}:
        return
    caller = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, caller)
    name = case.type_name
    document = (
        f"query($filter: {name}Filter, $search: String) {{ {case.field}(search: $search, filter: $filter, "
        "limit: 1000) { count data { id name } } }"
    )
    everything = shown(case, rows, lambda row: True)
    sample = next(row["name"] for row in rows if str(row["id"]) in everything)

    async def answered(search: str | None, filter_search: str | None) -> set[str]:
        variables = {"search": search, "filter": {"search": filter_search}}
        return {item["id"] for item in (await gql.data(document, variables, as_=caller))[case.field]["data"]}

    assert await answered(token, None) == everything
    narrowed = shown(case, rows, lambda row: row["name"] == sample)
    assert await answered(sample, token) == await answered(token, sample) == narrowed != set()
    assert await answered("x" + token, token) == set()
