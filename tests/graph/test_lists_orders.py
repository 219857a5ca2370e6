"""Every list's orders and pages, through GraphQL: orderBy on each field in both directions (ties broken by id,
NULLs last ascending and first descending), the default order unchanged, walking a whole list by keyset pages
giving the same rows as walking it by skip (no repeats, no gaps, under ties and NULLs), and cursors refused when
malformed, made for another list or order, or given with skip. Each test runs for every list (tests/graph/
lists_cases.py)."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from graph.cursors import FOREIGN, MALFORMED
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.lists_cases import (
    CASES,
    ListCase,
    Reader,
    default_sorted,
    ids,
    list_document,
    live,
    order,
    seed_case,
    sorted_rows,
)
from tests.statements import StatementLog, count_statements

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


async def reader_for(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[Reader, list[str]]:
    """A reader of the case's list for a fresh caller who owns freshly seeded rows, and the ids the list shows
    without a filter, in its default order."""
    caller = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, caller)
    return Reader(gql, case, caller, token), ids(default_sorted(case, live(case, rows)))


async def test_order_by_each_field_both_ways_and_walks_by_keyset(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    caller = await accounts.user(superuser=case.superuser)
    token, rows = await seed_case(session_factory, case, caller)
    reader = Reader(gql, case, caller, token)
    shown = live(case, rows)
    for field, column in case.sorts.items():
        for direction in ("ASC", "DESC"):
            expected = ids(sorted_rows(shown, column, descending=direction == "DESC"))
            by = order(field, direction)
            assert await reader.all_ids(order=by) == expected, (field, direction)
            assert await reader.keyset_walk(3, order=by) == expected, (field, direction)
    # The direction defaults to ascending.
    first = next(iter(case.sorts))
    assert await reader.all_ids(order={"field": first}) == ids(sorted_rows(shown, case.sorts[first], False))


async def test_the_default_order_is_unchanged_and_walks_by_keyset_as_by_skip(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    reader, default = await reader_for(case, gql, accounts, session_factory)
    assert len(default) >= 3  # ties and NULLs among them
    assert await reader.all_ids() == default
    for limit in (1, 3, 4):
        assert await reader.keyset_walk(limit) == default
        assert await reader.skip_walk(limit) == default
    first = next(iter(case.sorts))
    by = order(first, "DESC")
    assert await reader.keyset_walk(2, order=by) == await reader.skip_walk(2, order=by)


async def test_page_info_and_counts(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    reader, default = await reader_for(case, gql, accounts, session_factory)
    size = len(default) // 3  # three pages and a bit more
    first = await reader.page(limit=size)
    assert [item["id"] for item in first["data"]] == default[:size]
    assert first["count"] == len(default)
    assert first["pageInfo"]["hasNextPage"] is True
    # The count is of every matching row, on a keyset page as on the first.
    second = await reader.page(limit=size, after=first["pageInfo"]["endCursor"])
    assert ([item["id"] for item in second["data"]], second["count"]) == (default[size : 2 * size], len(default))
    # A skip page has a cursor too, from which keyset pages continue.
    by_skip = await reader.page(limit=size, skip=size)
    assert by_skip["pageInfo"] == second["pageInfo"]
    last = await reader.page(limit=len(default))
    assert last["pageInfo"]["hasNextPage"] is False and last["pageInfo"]["endCursor"] is not None
    past = await reader.page(limit=3, after=last["pageInfo"]["endCursor"])
    assert past == {"count": len(default), "pageInfo": {"hasNextPage": False, "endCursor": None}, "data": []}
    nothing = await reader.page({"createdAfter": "2100-01-01T00:00:00Z"}, limit=3)
    assert nothing == {"count": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "data": []}


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


async def test_bad_cursors_are_refused(
    case: ListCase, gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    reader, _ = await reader_for(case, gql, accounts, session_factory)
    cursor = (await reader.page(limit=2))["pageInfo"]["endCursor"]
    first = next(iter(case.sorts))
    other_list = "styles" if case.field != "styles" else "subjects"
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded[:2] == [case.field, "default"]
    refusals = {
        "not base64": ("%%%", None, MALFORMED),
        "not json": (base64.urlsafe_b64encode(b"[nope").decode(), None, MALFORMED),
        "not a list": (_cursor({"a": 1}), None, MALFORMED),
        "another order": (cursor, order(first, "ASC"), FOREIGN),
        "another list": (_cursor([other_list, *decoded[1:]]), None, FOREIGN),
        "too few values": (_cursor(decoded[:-1]), None, MALFORMED),
        "wrong types": (_cursor([*decoded[:2], *[12] * (len(decoded) - 2)]), None, MALFORMED),
    }
    for name, (after, by, message) in refusals.items():
        error = await reader.error(limit=2, after=after, order=by)
        assert error_code(error) == "BAD_USER_INPUT", name
        assert error["extensions"]["fields"] == {"after": message}, name
    both = await reader.error(limit=2, skip=2, after=cursor)
    assert error_code(both) == "BAD_USER_INPUT"
    assert both["extensions"]["fields"] == {
        "skip": "cannot be combined with after",
        "after": "cannot be combined with skip",
    }


async def test_a_keyset_page_costs_the_statements_of_a_skip_page(
    case: ListCase,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    app: Starlette,
) -> None:
    reader, _ = await reader_for(case, gql, accounts, session_factory)
    cursor = (await reader.page(limit=2))["pageInfo"]["endCursor"]
    with count_statements(app) as by_skip:
        await reader.page(limit=2, skip=2)
    with count_statements(app) as by_cursor:
        await reader.page(limit=2, after=cursor)
    assert by_cursor.count == by_skip.count, (by_skip.tables(), by_cursor.tables())
    table = case.model.__tablename__

    def pages(log: StatementLog) -> list[str]:
        return [statement for statement in log.reading(table) if "ORDER BY" in statement]

    assert len(pages(by_cursor)) == 1 and len(pages(by_skip)) == 1, by_cursor.statements
    # Without `count` in the selection, nothing counts every matching row.
    document = reader.variables(limit=2, after=cursor)
    with count_statements(app) as uncounted:
        await gql.data(list_document(case, "data { id }"), document, as_=reader.caller)
    assert "count(" not in pages(uncounted)[0] and "OFFSET" not in pages(uncounted)[0]
    assert "count(" in pages(by_cursor)[0] and "OFFSET" in pages(by_skip)[0]
