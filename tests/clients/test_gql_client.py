"""Conformance with `gql`, the Python GraphQL client (pinned in pyproject.toml): what its users write, run against
the live server. Queries and errors over HTTP (httpx transport), the cost extension and its refusals (a query too
complex, a spent budget answered 429), multipart uploads with its FileVar, and the ZIP
upload's progress subscription followed to COMPLETED over `graphql-transport-ws` and over the legacy `graphql-ws`.

gql parses every websocket message itself and rejects binary frames, as GraphiQL and graphql-ws do: these are the
tests that fail when the server's frames stop being what clients read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from gql import Client, FileVar, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from PIL import Image

from core.settings import Settings
from graph.app import create_app
from tests.conftest import Account, Accounts, close_app
from tests.graph.subjects_common import COVER
from tests.jobs.conftest import RunJobs
from tests.jobs.subscription_helpers import PROGRESS, assert_progress_story, progress_zip
from tests.jobs.zip_helpers import DEFAULT_SHOT_TYPES, TASK_FIELDS
from tests.serving import served

STEP_TIMEOUT = 30.0
CSRF = {"Apollo-Require-Preflight": "true"}  # what gql users add for this server, as for Apollo Server

ME = "query Me { me { id email } }"
SHOT_TYPES = "query Shots { shotTypes(includePublic: true, limit: 50) { count data { name } } }"
ONE_SUBJECT = "query One($id: UUID!) { subject(id: $id) { id } }"
SUBJECT = "query Subject($id: UUID!) { subject(id: $id) { id baseImages { shotTypeLabel imageUrl } } }"
CREATE_SUBJECT = "mutation Create($input: SubjectCreate!) { createSubject(input: $input) { id name } }"
UPLOAD_MEDIA = "mutation Upload($file: Upload!) { uploadMedia(file: $file) { id url width height } }"
UPLOAD_ZIP = f"""mutation UploadZip($file: Upload!, $subjectId: UUID) {{
  uploadSubjectBaseImagesZip(file: $file, subjectId: $subjectId) {{ {TASK_FIELDS} }} }}"""


def request(document: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables or None)


@asynccontextmanager
async def http_session(live_server: str, account: Account | None) -> AsyncIterator[Any]:
    headers = {**CSRF, **(account.headers if account else {})}
    transport = HTTPXAsyncTransport(url=f"http://{live_server}/graphql", headers=headers, timeout=STEP_TIMEOUT)
    async with Client(transport=transport, execute_timeout=STEP_TIMEOUT) as session:
        yield session


@asynccontextmanager
async def websocket_session(live_server: str, account: Account, subprotocol: str) -> AsyncIterator[Any]:
    transport = WebsocketsTransport(
        url=f"ws://{live_server}/graphql",
        init_payload={"Authorization": f"Bearer {account.token}"},
        subprotocols=[subprotocol],
        connect_timeout=STEP_TIMEOUT,
        ack_timeout=STEP_TIMEOUT,
    )
    async with Client(transport=transport, execute_timeout=STEP_TIMEOUT) as session:
        assert transport.subprotocol == subprotocol  # the server spoke the protocol asked for
        yield session


async def test_queries_and_errors_over_http(live_server: str, accounts: Accounts) -> None:
    account = await accounts.user()
    async with http_session(live_server, account) as session:
        assert await session.execute(request(ME)) == {"me": {"id": str(account.id), "email": account.user.email}}

        shot_types = await session.execute(request(SHOT_TYPES))
        assert set(DEFAULT_SHOT_TYPES) <= {row["name"] for row in shot_types["shotTypes"]["data"]}

        with pytest.raises(TransportQueryError) as missing:
            await session.execute(request(ONE_SUBJECT, id=str(account.id)))
        assert missing.value.errors is not None
        assert [error["extensions"]["code"] for error in missing.value.errors] == ["NOT_FOUND"]

    async with http_session(live_server, None) as anonymous:
        with pytest.raises(TransportQueryError) as refused:
            await anonymous.execute(request(ME))
        assert refused.value.errors is not None
        assert [error["extensions"]["code"] for error in refused.value.errors] == ["UNAUTHENTICATED"]


async def test_multipart_upload_of_an_image(live_server: str, accounts: Accounts, tmp_path: Path) -> None:
    account = await accounts.user()
    path = tmp_path / "look.png"
    Image.new("RGB", (37, 21), (200, 30, 90)).save(path)
    async with http_session(live_server, account) as session:
        with path.open("rb") as file:
            uploaded = await session.execute(request(UPLOAD_MEDIA, file=FileVar(file)), upload_files=True)
    media = uploaded["uploadMedia"]
    assert (media["width"], media["height"]) == (37, 21)
    assert media["url"].startswith("/media/") and media["url"].endswith(".png")


async def _follow_a_zip_upload(
    live_server: str, account: Account, run_jobs: RunJobs, tmp_path: Path, subprotocol: str
) -> None:
    """Upload a ZIP with gql's multipart support, then follow its task with gql's subscription API, starting the
    worker only once the subscription has answered the task as it stood (PENDING)."""
    async with http_session(live_server, account) as session:
        subject_input = {"name": "Gql Model", "ageClass": "ADULT", "coverImage": {"url": COVER}}
        subject_id = (await session.execute(request(CREATE_SUBJECT, input=subject_input)))["createSubject"]["id"]
        archive = tmp_path / "looks.zip"
        archive.write_bytes(progress_zip())
        with archive.open("rb") as file:
            upload = request(UPLOAD_ZIP, file=FileVar(file), subjectId=subject_id)
            task = (await session.execute(upload, upload_files=True))["uploadSubjectBaseImagesZip"]
    assert (task["status"], task["subjectId"]) == ("PENDING", subject_id)

    states: list[dict[str, Any]] = []
    worker: asyncio.Task[Any] | None = None
    async with websocket_session(live_server, account, subprotocol) as websocket, asyncio.timeout(120):
        async for result in websocket.subscribe(request(PROGRESS, id=task["id"])):  # ends when the server completes
            states.append(result["uploadTaskProgress"])
            if worker is None:
                worker = asyncio.create_task(run_jobs())
    assert worker is not None
    await worker
    assert_progress_story(states)

    async with http_session(live_server, account) as session:
        subject = (await session.execute(request(SUBJECT, id=subject_id)))["subject"]
    assert sorted(image["shotTypeLabel"] for image in subject["baseImages"]) == sorted(DEFAULT_SHOT_TYPES[:2])


async def test_zip_progress_over_graphql_transport_ws(
    live_server: str, accounts: Accounts, run_jobs: RunJobs, tmp_path: Path
) -> None:
    account = await accounts.user()
    await _follow_a_zip_upload(live_server, account, run_jobs, tmp_path, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL)


async def test_zip_progress_over_legacy_graphql_ws(
    live_server: str, accounts: Accounts, run_jobs: RunJobs, tmp_path: Path
) -> None:
    account = await accounts.user()
    await _follow_a_zip_upload(live_server, account, run_jobs, tmp_path, WebsocketsTransport.APOLLO_SUBPROTOCOL)


DEEP_INTROSPECTION = "__schema { types { name fields { name args { name type { name } } type { name kind } } } }"
TYPE_NAMES = "query Types { __schema { types { name } } }"


async def test_cost_refusals_and_budgets_as_gql_reads_them(
    live_server: str, accounts: Accounts, settings: Settings
) -> None:
    account = await accounts.user()
    async with http_session(live_server, account) as session:
        answered = await session.execute(request(ME), get_execution_result=True)
        assert answered.extensions == {"cost": {"requested": 1, "actual": 1}}

        too_complex = "query Heavy { " + " ".join(f"a{n}: {DEEP_INTROSPECTION}" for n in range(30)) + " }"
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(request(too_complex))
        assert refused.value.errors is not None
        [error] = refused.value.errors
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == settings.query_max_cost

    # A budget of 300 a minute: the third priced query within the second is refused. The answer is HTTP 429, and
    # gql still reads its JSON: the error, its code and when to retry.
    small_budget = create_app(
        settings.model_copy(
            update={"query_max_cost": 200, "cost_budget_per_minute": 300, "redis_prefix": f"gql-{uuid.uuid4().hex}"}
        )
    )
    try:
        async with served(small_budget) as host, http_session(host, account) as session:
            await session.execute(request(TYPE_NAMES))
            await session.execute(request(TYPE_NAMES))
            with pytest.raises(TransportQueryError) as limited:
                await session.execute(request(TYPE_NAMES))
            assert limited.value.errors is not None
            [error] = limited.value.errors
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert isinstance(error["extensions"]["retryAfter"], int) and error["extensions"]["retryAfter"] >= 1
    finally:
        await close_app(small_budget)
