"""A request leaves nothing for the cyclic garbage collector: everything it allocated is freed by reference counting
when it ends (graph/execution/acyclic.py, graph/documents.py), under both GRAPHQL_EXECUTION modes.

Each kind of request is sent to the real application (its middleware, view, schema, extensions, PostgreSQL and
Redis) a few times to warm its caches, then N times with the collector off; `gc.collect()` then says how many
objects those N requests left in reference cycles (of three such windows, the smallest count). The requests are sent
as an ASGI server sends them, without an HTTP client in this process: httpx's ASGI transport leaves cycles of its
own (~24 objects a request). uvicorn's objects are counted by `python -m bench.gc_pauses`, in a real server
process.

An unexpected error, raised below a list (the breadth-first path falls back to graphql-core there), leaves nothing
either, and is still logged with its whole traceback.

A control shows the count sees cycles: with graphql-core's own resolve-info helpers (bound methods of the executor,
which holds them) every request leaves its executor and everything it holds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import traceback
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from bench.queries import GUIDELINES_PAGE, SUBJECT_BY_ID, SUBJECTS_PAGE
from core.collector import NEVER_IDLE_THRESHOLD, idle_collector
from core.internals.strawberry import StrawberryGraphQLCoreExecutionContext
from core.settings import Settings
from graph.app import create_app
from graph.cost_limits import Prices
from graph.documents import DocumentStore
from graph.execution import execution_context_class
from graph.execution.acyclic import AcyclicExecutionContext
from graph.pipeline import PipelineParts
from graph.schema import Schema
from tests.conftest import Account, Accounts, close_app
from tests.seed_rows import Seed, make_organization

Execution = Literal["fast", "standard"]

WARM_UP = 3
MEASURED = 10
WINDOWS = 3

# graphql-core's lexer links tokens both ways; those lexed before a syntax error are out of our reach
# (graph/documents.py). SYNTAX_ERROR lexes these six: <SOF> { me { id <EOF>.
SYNTAX_ERROR = "{ me { id "
SYNTAX_ERROR_TOKENS = 6


@dataclass(frozen=True)
class Seeded:
    superuser: Account
    organization_id: uuid.UUID
    subject_ids: list[uuid.UUID]


Caller = Literal["superuser", "anonymous", "bad token"]


@dataclass(frozen=True)
class Case:
    name: str
    # The request body for the seeded rows, made afresh for each request (`index` tells requests apart).
    body: Callable[[Seeded, int], dict[str, Any]]
    caller: Caller = "superuser"
    expected_code: str | None = None  # the error's extensions.code; None: an answer without errors
    cyclic_per_request: int = 0


def _page(query: str, limit: int) -> Callable[[Seeded, int], dict[str, Any]]:
    return lambda seeded, _: {
        "query": query,
        "variables": {"organizationId": str(seeded.organization_id), "limit": limit},
    }


CASES = [
    Case("typename", lambda _seeded, _: {"query": "{ __typename }"}, caller="anonymous"),
    Case("me", lambda _seeded, _: {"query": "{ me { id } }"}),
    Case(
        "subject by id",
        lambda seeded, _: {"query": SUBJECT_BY_ID, "variables": {"id": str(seeded.subject_ids[0])}},
    ),
    Case("subjects page", _page(SUBJECTS_PAGE, 100)),
    Case("guidelines page", _page(GUIDELINES_PAGE, 50)),
    Case(
        "update mutation",
        lambda seeded, index: {
            "query": "mutation($id: UUID!, $text: String) { updateSubject(id: $id, input: {description: $text}) "
            "{ id description } }",
            "variables": {"id": str(seeded.subject_ids[1]), "text": f"described {index}"},
        },
    ),
    Case(
        "create mutation",
        lambda _seeded, _: {
            "query": "mutation($name: String!) { createShotType(input: {name: $name, viewAngle: FRONT, "
            "framing: FULL_BODY}) { id name } }",
            "variables": {"name": f"shot-{uuid.uuid4().hex}"},
        },
    ),
    Case(
        "not found",
        lambda _seeded, _: {"query": SUBJECT_BY_ID, "variables": {"id": str(uuid.uuid4())}},
        expected_code="NOT_FOUND",
    ),
    Case(
        "bad input",
        lambda seeded, _: {
            "query": 'mutation($id: UUID!) { updateSubject(id: $id, input: {name: ""}) { id } }',
            "variables": {"id": str(seeded.subject_ids[1])},
        },
        expected_code="BAD_USER_INPUT",
    ),
    Case(
        "unauthenticated",
        lambda _seeded, _: {"query": "{ me { id } }"},
        caller="bad token",
        expected_code="UNAUTHENTICATED",
    ),
    Case("validation error", lambda _seeded, _: {"query": "{ nope }"}, expected_code="GRAPHQL_VALIDATION_FAILED"),
    Case(
        "syntax error",
        lambda _seeded, _: {"query": SYNTAX_ERROR},
        expected_code="GRAPHQL_PARSE_FAILED",
        cyclic_per_request=SYNTAX_ERROR_TOKENS,
    ),
]


async def post(app: Starlette, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """POST /graphql straight to the ASGI application, as uvicorn hands it a request; the decoded answer."""
    content = orjson.dumps(body)
    raw_headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in headers.items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    messages = [{"type": "http.request", "body": content, "more_body": False}]
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    assert status == [200], (status, b"".join(chunks))
    answer: dict[str, Any] = orjson.loads(b"".join(chunks))
    return answer


def headers_of(caller: Caller, seeded: Seeded) -> dict[str, str]:
    if caller == "superuser":
        return seeded.superuser.headers
    return {"Authorization": "Bearer not-a-token"} if caller == "bad token" else {}


async def send_case(app: Starlette, case: Case, seeded: Seeded, index: int) -> None:
    answer = await post(app, case.body(seeded, index), headers_of(case.caller, seeded))
    codes = [error["extensions"]["code"] for error in answer.get("errors") or []]
    assert codes == ([case.expected_code] if case.expected_code else []), answer


async def cyclic_garbage(app: Starlette, case: Case, seeded: Seeded) -> tuple[int, Counter[str]]:
    """Objects MEASURED requests left in reference cycles, with the most common types among them: the smallest
    count of WINDOWS such windows. A request's cycles are in every window; what something else in the process drops
    meanwhile (an app an earlier test closed, whose last references go with its timers) is not."""
    for index in range(WARM_UP):
        await send_case(app, case, seeded, index)
    windows = [await _one_window(app, case, seeded, WARM_UP + window * MEASURED) for window in range(WINDOWS)]
    return min(windows, key=lambda window: window[0])


async def _one_window(app: Starlette, case: Case, seeded: Seeded, first: int) -> tuple[int, Counter[str]]:
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, to be named on failure
    try:
        for index in range(first, first + MEASURED):
            await send_case(app, case, seeded, index)
        found = gc.collect()
        kinds = Counter(f"{type(each).__module__}.{type(each).__qualname__}" for each in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return found, kinds


@pytest.fixture(scope="module")
async def seeded(accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]) -> Seeded:
    superuser = await accounts.user(superuser=True)
    organization_id = await make_organization(session_factory)
    seed = Seed(owner_id=superuser.id, organization_id=organization_id)
    subject_ids = [seed.full_subject() for _ in range(3)]
    for _ in range(3):
        seed.guideline()
    await seed.write(session_factory)
    return Seeded(superuser, organization_id, subject_ids)


@pytest.fixture(scope="module", params=["fast", "standard"])
async def app_of_mode(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Starlette]:
    execution: Execution = request.param
    app = create_app(settings.model_copy(update={"graphql_execution": execution}))
    yield app
    await close_app(app)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_request_leaves_nothing_in_reference_cycles(app_of_mode: Starlette, seeded: Seeded, case: Case) -> None:
    found, kinds = await cyclic_garbage(app_of_mode, case, seeded)
    assert found <= case.cyclic_per_request * MEASURED, f"{found / MEASURED:g} a request: {kinds.most_common(15)}"
    if case.cyclic_per_request:
        # The stated remainder, and nothing else.
        assert set(kinds) == {"graphql.language.ast.Token"}, kinds


async def test_graphql_cores_own_helpers_would_leave_every_request_to_the_collector(
    app_of_mode: Starlette, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The executor as graphql-core makes it: its async_helpers are its own bound methods.
    monkeypatch.setattr(AcyclicExecutionContext, "__init__", StrawberryGraphQLCoreExecutionContext.__init__)
    found, kinds = await cyclic_garbage(app_of_mode, CASES[0], seeded)
    assert found >= 10 * MEASURED, kinds
    executors = sum(count for kind, count in kinds.items() if kind.endswith("ExecutionContext"))
    assert executors == MEASURED, kinds


class Sentinel:
    """What a planted cycle holds: weakly referable, unlike a list."""


async def test_a_cycle_left_in_the_api_process_is_freed_once_no_request_is_in_flight(
    app_of_mode: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should a library leave a cycle, the API frees it when no request is in flight (core/collector.py), not by
    # CPython's automatic collection, whose threshold this cycle is far below.
    monkeypatch.setattr(idle_collector, "interval_seconds", 0)  # else at most one such run in 10 s
    monkeypatch.setattr(idle_collector, "quiet_seconds", 0)
    assert gc.isenabled() and gc.get_threshold() == NEVER_IDLE_THRESHOLD
    sentinel = Sentinel()
    cycle: list[Any] = [sentinel]
    cycle.append(cycle)
    planted = weakref.ref(sentinel)
    del sentinel, cycle

    await post(app_of_mode, {"query": "{ __typename }"}, {})
    for _ in range(3):
        await asyncio.sleep(0)  # the turns after the request's end

    assert planted() is None


@strawberry.type
class Item:
    number: int

    @strawberry.field
    def checked(self) -> int:
        if self.number == 2:
            raise RuntimeError("item 2 is broken")
        return self.number


@strawberry.type
class Query:
    @strawberry.field
    async def items(self) -> list[Item | None]:
        return [Item(number=number) for number in range(4)]


@pytest.mark.parametrize("execution", ["fast", "standard"])
async def test_an_unexpected_error_leaves_nothing_and_is_logged_with_its_traceback(
    execution: Execution, caplog: pytest.LogCaptureFixture
) -> None:
    # As the app's schema: the document is parsed and validated once (graphql-core's validation rules hold
    # themselves through their visitors: a new document's validation leaves those cycles, a known one none).
    schema = Schema(query=Query, execution_context_class=execution_context_class(execution))
    schema.pipeline_parts = PipelineParts(
        settings=Settings(), documents=DocumentStore(max_tokens=100), prices=Prices(8), limit_rules=(), tracer=None
    )

    async def answer() -> None:
        result = await schema.execute("{ items { number checked } }")
        assert result.data == {
            "items": [{"number": 0, "checked": 0}, {"number": 1, "checked": 1}, None, {"number": 3, "checked": 3}]
        }
        assert result.errors is not None and [error.path for error in result.errors] == [["items", 2, "checked"]]

    for _ in range(WARM_UP):
        await answer()
    windows = []
    for _ in range(2):
        gc.collect()
        gc.disable()
        try:
            for _ in range(MEASURED):
                await answer()
            windows.append(gc.collect())
        finally:
            gc.enable()
    assert min(windows) == 0, windows

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="graph.errors"):
        await answer()
    [record] = [record for record in caplog.records if record.name == "graph.errors"]
    assert record.getMessage() == "Unexpected error at ['items', 2, 'checked']"
    assert record.exc_info is not None
    logged = "".join(traceback.format_exception(*record.exc_info))
    assert 'raise RuntimeError("item 2 is broken")' in logged and ", in checked" in logged, logged
