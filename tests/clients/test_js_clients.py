"""The JS clients the frontend uses, run by the machine's Node.js against the live server: Apollo Client 4 with
apollo-upload-client's UploadHttpLink (queries, mutations, multipart uploads, error codes) and graphql-ws 6 with
Apollo's GraphQLWsLink (a ZIP task followed to its end while a real worker process ingests it).

Our own Python clients once accepted what every real client rejected (binary websocket frames), so these tests ask
the real clients themselves. The scripts are in tests/clients/js, locked by its package-lock.json; `make test`
installs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tests.clients.node import node_executable, node_script, run_script
from tests.conftest import Accounts, GraphQLClient
from tests.jobs.conftest import RunJobs, WorkerProcess
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import assert_progress_story, finish_tasks, processing_tasks, progress_zip
from tests.jobs.zip_helpers import (
    DEFAULT_SHOT_TYPES,
    TASK,
    build_zip,
    default_shot_type_id,
    task_as,
    unique_png,
    upload_zip,
    uploaded_task,
)

# Bounds on every wait. Each script has its own, shorter deadline and then reports what it had received; these
# only catch a script that hangs beyond it.
HTTP_SCRIPT_TIMEOUT = 45.0
SUBSCRIBED_TIMEOUT = 30.0
# From the worker's start to the last state: a process start, then 45 entries on a machine of 2 cores.
JOB_TIMEOUT = 75.0

# How often open websockets' tokens are rechecked in the session-close test, and the slack on top for the close.
RECHECK_SECONDS = 0.5
CLOSE_SLACK_SECONDS = 5.0
REVOKED_REASON = "This token was revoked (logout, password change or deactivation); log in again"

SHOT_TYPES = "query { shotTypes(includePublic: true) { count data { id name } } }"
BASE_IMAGES = "query($id: UUID!) { subjectBaseImages(id: $id) { data { shotTypeId shotTypeLabel imageUrl } } }"


def without_typename(value: Any) -> Any:
    """Apollo Client adds `__typename` to every selection for its cache; the other clients do not ask for it."""
    if isinstance(value, dict):
        return {key: without_typename(item) for key, item in value.items() if key != "__typename"}
    if isinstance(value, list):
        return [without_typename(item) for item in value]
    return value


async def test_apollo_client_queries_mutates_uploads_and_gets_error_codes(
    live_server: str,
    gql: GraphQLClient,
    accounts: Accounts,
    run_jobs: RunJobs,
    tmp_path: Path,
) -> None:
    node = node_executable()
    owner = await accounts.user()
    image = unique_png()  # 9 x 7
    png_path = tmp_path / "look.png"
    png_path.write_bytes(image)
    zip_path = tmp_path / "base-images.zip"
    zip_path.write_bytes(
        build_zip(
            [
                (f"{DEFAULT_SHOT_TYPES[0]}.png", unique_png()),
                ("portfolio/look-01.png", unique_png()),
                ("notes.txt", b"not an image"),
            ]
        )
    )

    summary = await run_script(
        node,
        "apollo_http.mjs",
        "--url",
        f"http://{live_server}/graphql",
        "--png",
        str(png_path),
        "--zip",
        str(zip_path),
        env={"STUDIO_TOKEN": owner.token},
        within=HTTP_SCRIPT_TIMEOUT,
    )
    summary = without_typename(summary)

    assert summary["me"] == {"id": str(owner.id), "email": owner.user.email}
    shot_types = summary["shotTypes"]
    assert shot_types == (await gql.data(SHOT_TYPES, as_=owner))["shotTypes"]
    names = {shot_type["name"]: shot_type["id"] for shot_type in shot_types["data"]}
    assert {name: names.get(name) for name in DEFAULT_SHOT_TYPES} == {
        name: default_shot_type_id(name) for name in DEFAULT_SHOT_TYPES
    }
    assert shot_types["count"] >= len(DEFAULT_SHOT_TYPES)

    # The upload arrived byte for byte, was measured, and is served back as the UI will show it.
    media = summary["media"]
    digest = hashlib.sha256(image).hexdigest()
    assert (media["width"], media["height"], media["fileSize"], media["contentHash"]) == (9, 7, len(image), digest)
    assert media["url"].startswith("/media/")
    assert media["served"] == {"status": 200, "contentType": "image/png", "size": len(image), "sha256": digest}

    # The mutation took the upload as its cover, as the frontend's "new subject" form does.
    subject = summary["subject"]
    assert (subject["name"], subject["ageClass"]) == ("Apollo", "ADULT")
    assert (subject["coverImageMedia"], subject["coverImageUrl"]) == ({"id": media["id"]}, media["url"])

    task = summary["task"]
    assert (task["subjectId"], task["status"], task["progress"], task["processedItems"]) == (
        subject["id"],
        "PENDING",
        0,
        0,
    )

    # Errors reach the UI as Apollo's CombinedGraphQLErrors, each with its code, and no data.
    for name, code in (("notFound", "NOT_FOUND"), ("unauthenticated", "UNAUTHENTICATED")):
        error = summary["errors"][name]
        assert error["isCombinedGraphQLErrors"] is True, error
        assert [each["code"] for each in error["errors"]] == [code], error
        assert error["data"] is None, error

    # The ZIP Apollo sent is the one we built: a worker makes its entries the subject's images.
    await asyncio.wait_for(run_jobs(), JOB_TIMEOUT)
    done = await task_as(gql, owner, task["id"])
    assert done["status"] == "COMPLETED", done
    assert (done["imagesProcessed"], done["portfolioImagesProcessed"], done["imagesSkipped"]) == (1, 1, 1)
    base_images = (await gql.data(BASE_IMAGES, {"id": subject["id"]}, as_=owner))["subjectBaseImages"]["data"]
    assert [image["shotTypeLabel"] for image in base_images] == [DEFAULT_SHOT_TYPES[0]]


async def test_graphql_ws_and_apollo_follow_a_zip_task_to_completion(
    live_server: str,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    worker_process: Callable[..., WorkerProcess],
) -> None:
    node = node_executable()
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    task = uploaded_task(await upload_zip(http, owner, progress_zip(), subject_id=subject_id))
    assert task["status"] == "PENDING"

    worker: WorkerProcess | None = None
    try:
        async with node_script(
            node,
            "subscriptions.mjs",
            "--url",
            f"ws://{live_server}/graphql",
            "--task",
            task["id"],
            env={"STUDIO_TOKEN": owner.token},
        ) as script:
            subscribed = await script.line(SUBSCRIBED_TIMEOUT)
            # Both clients hold the task as it stands before any worker exists: the PENDING state is seen for sure.
            assert subscribed["event"] == "subscribed", subscribed
            assert subscribed["graphqlWs"] == {"data": {"uploadTaskProgress": task}}
            assert without_typename(subscribed["apollo"]) == {"data": {"uploadTaskProgress": task}}
            worker = worker_process()
            summary = await script.line(JOB_TIMEOUT)
            await script.finished(SUBSCRIBED_TIMEOUT)
    except BaseException:
        if worker is not None:
            print(f"--- worker log ---\n{worker.log()}")  # shown by pytest with the failure
        raise
    finally:
        if worker is not None:
            await asyncio.to_thread(worker.stop)

    assert summary["event"] == "summary", summary
    # A task the caller cannot see is refused: the operation's error with its code, and no data.
    assert summary["refusal"]["payloads"] == []
    assert [error["code"] for error in summary["refusal"]["errors"]] == ["NOT_FOUND"]

    graphql_ws_states = []
    for payload in summary["graphqlWs"]:
        assert set(payload) == {"data"}, payload  # no errors along the way
        graphql_ws_states.append(payload["data"]["uploadTaskProgress"])
    apollo_states = []
    for result in summary["apollo"]:
        assert result["error"] is None, result
        apollo_states.append(without_typename(result["data"])["uploadTaskProgress"])

    # Each client saw PENDING, every progress step in order, then COMPLETED with 100 and the right counts, and
    # then the server completed the subscription (the script returns only on `complete`).
    assert_progress_story(graphql_ws_states)
    assert_progress_story(apollo_states)
    # What the clients saw last is what the API answers now, and the subject has the images the counts promise.
    final = (await gql.data(TASK, {"id": task["id"]}, as_=owner))["subjectUploadTask"]
    assert graphql_ws_states[-1] == apollo_states[-1] == final
    base_images = (await gql.data(BASE_IMAGES, {"id": subject_id}, as_=owner))["subjectBaseImages"]["data"]
    assert sorted(image["shotTypeLabel"] for image in base_images) == sorted(DEFAULT_SHOT_TYPES[:2])


async def test_apollo_persisted_query_link_registers_once_then_sends_the_hash_alone(
    live_server: str, gql: GraphQLClient, accounts: Accounts
) -> None:
    node = node_executable()
    owner = await accounts.user()
    nonce = uuid.uuid4().hex[:12]
    summary = await run_script(
        node,
        "apollo_persisted_queries.mjs",
        "--url",
        f"http://{live_server}/graphql",
        "--nonce",
        nonce,
        env={"STUDIO_TOKEN": owner.token},
        within=HTTP_SCRIPT_TIMEOUT,
    )
    shot_types = "query($n: Int!) { shotTypes(includePublic: true, limit: $n) { count data { id name } } }"
    expected = {
        "me": {"id": str(owner.id), "email": owner.user.email},
        **(await gql.data(shot_types, {"n": 3}, as_=owner)),
    }

    for mode, hashed_method in (("post", "POST"), ("get", "GET")):
        requests, results = summary[mode]["requests"], summary[mode]["results"]
        assert [without_typename(result) for result in results] == [expected, expected], mode
        # The first run: the hash alone (unknown), then, told PERSISTED_QUERY_NOT_FOUND, the query with its hash
        # (always over POST, as the link sends a full query); the second run: the hash alone, answered.
        assert [(r["method"], r["query"] is not None, r["status"], r["codes"]) for r in requests] == [
            (hashed_method, False, 200, ["PERSISTED_QUERY_NOT_FOUND"]),
            ("POST", True, 200, []),
            (hashed_method, False, 200, []),
        ], mode
        query_text = requests[1]["query"]
        assert f"query Apq{mode.capitalize()}_{nonce}(" in query_text
        sha256 = hashlib.sha256(query_text.encode()).hexdigest()
        assert [r["persistedQuery"] for r in requests] == [{"version": 1, "sha256Hash": sha256}] * 3, mode
        assert [r["variables"] for r in requests] == [{"limit": 3}] * 3, mode
        assert requests[2]["data"] == requests[1]["data"], mode


async def test_graphql_ws_and_apollo_take_the_4401_close_of_a_logged_out_session_as_final(
    live_server: str,
    gql: GraphQLClient,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = node_executable()
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner = await accounts.user()
    subject_id = await make_subject(gql, owner)
    (task_id,) = await processing_tasks(session_factory, owner, subject_id, 1)
    try:
        async with node_script(
            node,
            "session_close.mjs",
            "--url",
            f"ws://{live_server}/graphql",
            "--task",
            task_id,
            env={"STUDIO_TOKEN": owner.token},
        ) as script:
            assert (await script.line(SUBSCRIBED_TIMEOUT))["event"] == "subscribed"
            await gql.data("mutation { logout { message } }", as_=owner)
            summary = await script.line(RECHECK_SECONDS + CLOSE_SLACK_SECONDS + SUBSCRIBED_TIMEOUT)
            await script.finished(SUBSCRIBED_TIMEOUT)
    finally:
        await finish_tasks(session_factory, [task_id])

    assert summary["event"] == "summary", summary
    closed = {"code": 4401, "reason": REVOKED_REASON}
    # graphql-ws hands the close itself to the subscriber as the error, and does not reconnect: with its default
    # retry settings it retries most closes, so connecting once proves it read 4401 as final.
    assert summary["graphqlWs"] == {
        "connections": 1,
        "closes": [closed],
        "received": 1,
        "error": {"kind": "CloseEvent", **closed},
    }
    # Apollo's link turns the close into the subscription's error (a result carrying `error`, then the end): an
    # Error naming the code and the reason, which the frontend shows.
    apollo = summary["apollo"]
    assert (apollo["connections"], apollo["closes"], apollo["received"]) == (1, [closed], 1)
    assert apollo["error"]["kind"] == "Error", apollo
    assert "4401" in apollo["error"]["message"] and REVOKED_REASON in apollo["error"]["message"], apollo
