"""Two machines, as a deployment past one machine runs them (README, "Deploying and scaling"): on each, an API
process and a worker process started with the production commands, with a local data folder of its own and empty.
They share only PostgreSQL, Redis and one S3 bucket (moto's server on 127.0.0.1). Whatever one machine stores,
the other serves; a job uploaded through one machine is run by the other machine's worker (the receiving one's is
held, so each worker does one job) and followed through the other API; no machine keeps a file of its own."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import ExitStack

import pytest

from core.settings import Settings
from services.lora import JOB_FUNCTION as LORA_JOB
from services.upload_tasks import INGEST_JOB
from tests.conftest import Accounts, GraphQLClient
from tests.graph.test_media import upload, uploaded
from tests.jobs.lora_helpers import admin_view, answer, make_subject, small_lora, upload_lora
from tests.jobs.subscription_helpers import (
    LORA,
    PROGRESS,
    assert_progress_story,
    data_of,
    progress_zip,
    subscribed,
)
from tests.jobs.zip_helpers import DEFAULT_SHOT_TYPES, default_shot_type_id, unique_png, upload_zip, uploaded_task
from tests.machines import Machine, machines_started
from tests.s3_server import S3Server

# A worker's first job imports and warms up what it needs; on the shared CI cores that has taken seconds.
JOB_WITHIN = 60.0
METRICS_WITHIN = 5.0
SUBJECT_BASE_IMAGES = """query($id: UUID!) { subject(id: $id) { baseImages { shotTypeId imageUrl } } }"""


@pytest.fixture(scope="module")
async def machines(
    settings: Settings, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[Machine]]:
    """Machines A and B. Their queue is their own (a Redis prefix below the session's, so removed with it): jobs
    other tests left queued are not theirs to run, and theirs are counted exactly."""
    shared = {
        **s3_server.environment(s3_server.create_bucket()),
        "REDIS_PREFIX": f"{settings.redis_prefix}:machines-{uuid.uuid4().hex[:6]}",
    }
    async with machines_started(settings, shared, tmp_path_factory.mktemp("machines"), count=2) as started:
        yield started


async def assert_jobs_run(machines: list[Machine], function: str, expected: list[int]) -> None:
    """How many `function` jobs each machine's worker completed, as its own metrics count them (a job is counted
    as it returns, just after the commit its subscriber saw: a moment later)."""
    deadline = time.monotonic() + METRICS_WITHIN
    while True:
        counts = [
            (await machine.worker_metrics()).value("jobs_total", function=function, outcome="complete")
            for machine in machines
        ]
        if sum(counts) >= sum(expected) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert counts == expected


def assert_no_local_files(machines: list[Machine]) -> None:
    """Every file lives in the bucket: no machine's own folder keeps one once its requests and jobs are over."""
    for machine in machines:
        assert machine.local_files() == set(), machine.name


async def test_a_file_uploaded_through_one_machine_is_served_by_the_other(
    machines: list[Machine], accounts: Accounts
) -> None:
    a, b = machines
    owner = await accounts.user()
    content = unique_png()  # bytes no other test sent: a new file
    async with a.client() as through_a:
        media = uploaded(await upload(through_a, owner, content))
    async with b.client() as through_b:
        served = await through_b.get(media["url"])
    assert served.status_code == 200, served.text
    assert served.content == content
    assert served.headers["content-type"] == "image/png"
    assert_no_local_files(machines)


async def test_a_zip_uploaded_through_one_machine_is_followed_and_read_through_the_other(
    machines: list[Machine], accounts: Accounts
) -> None:
    a, b = machines
    owner = await accounts.user()
    archive = progress_zip()
    async with a.client() as through_a:
        subject_id = await make_subject(GraphQLClient(through_a), owner)
        # The job goes to the worker of the other machine (A's is held until it is done), which has never seen the
        # archive: only the bucket has it. B's worker is held too until B's subscription is open, so that the
        # subscription sees every step from the first.
        with a.worker_paused(), ExitStack() as b_held:
            b_held.enter_context(b.worker_paused())
            task = uploaded_task(await upload_zip(through_a, owner, archive, subject_id=subject_id))
            assert task["status"] == "PENDING"
            async with subscribed(b.api.host, owner, PROGRESS, {"id": task["id"]}) as operation:
                first = data_of(await operation.next())
                assert first == task
                b_held.close()
                messages = await operation.until_done(within=JOB_WITHIN)
    assert messages[-1] == {"id": "1", "type": "complete"}
    assert_progress_story([first, *(data_of(message) for message in messages[:-1])])
    await assert_jobs_run(machines, INGEST_JOB, [0, 1])

    # The base images the worker stored are served by B, byte for byte as they were in the archive.
    members = zipfile.ZipFile(io.BytesIO(archive))
    expected = {
        default_shot_type_id(DEFAULT_SHOT_TYPES[0]): members.read(f"{DEFAULT_SHOT_TYPES[0]}.png"),
        default_shot_type_id(DEFAULT_SHOT_TYPES[1]): members.read(f"looks/{DEFAULT_SHOT_TYPES[1]}.png"),
    }
    async with b.client() as through_b:
        subject = (await GraphQLClient(through_b).data(SUBJECT_BASE_IMAGES, {"id": subject_id}, as_=owner))["subject"]
        served = {
            image["shotTypeId"]: (await through_b.get(image["imageUrl"])).content for image in subject["baseImages"]
        }
    assert served == expected
    assert_no_local_files(machines)


async def test_a_lora_uploaded_through_one_machine_is_checked_and_read_through_the_other(
    machines: list[Machine], accounts: Accounts
) -> None:
    a, b = machines
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    content = small_lora()
    # Checked by A's worker (B's is held until it is done): the file reaches it through the bucket alone.
    with b.worker_paused():
        async with b.client() as through_b:
            subject_id = await make_subject(GraphQLClient(through_b), owner)
            accepted = answer(await upload_lora(through_b, admin, "subject", subject_id, content, trigger="ohwx model"))
        assert accepted["loraStatus"] == "processing"
        async with subscribed(a.api.host, owner, LORA, {"subjectId": subject_id}) as operation:
            seen = [data_of(await operation.next())]
            if seen[0]["loraStatus"] == "processing":  # else the check was done before A's subscription began
                seen += [data_of(message) for message in (await operation.until_done(within=JOB_WITHIN))[:-1]]
    assert seen[-1]["loraStatus"] == "ready", seen

    async with a.client() as through_a:
        ready = await admin_view(GraphQLClient(through_a), admin, "subject", subject_id)
    assert (ready["loraStatus"], ready["loraError"], ready["loraTrigger"]) == ("ready", None, "ohwx model")
    assert ready["loraInfo"]["sizeBytes"] == len(content)
    assert ready["loraInfo"]["tensorCount"] == 2
    await assert_jobs_run(machines, LORA_JOB, [1, 0])
    assert_no_local_files(machines)
