"""LoRA uploads end to end: the mutation checks and stages, a real arq worker verifies and stores, the entity
tells the outcome; bad files fail with their reason, pickles are never run, limits leave nothing behind."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import pickle
import struct
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.base import utcnow
from db.models import Subject
from graph.app import create_app
from jobs.lora_ingest import lora_ingest
from services.lora import model_key
from services.progress import lora_channel
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.jobs.conftest import RunJobs
from tests.jobs.lora_helpers import (
    admin_view,
    answer,
    make_style,
    make_subject,
    safetensors,
    small_lora,
    upload_lora,
)

DELETE_SUBJECT = "mutation($id: UUID!) { deleteSubject(id: $id) { message } }"
PUBLIC_SUBJECT = "query($id: UUID!) { subject(id: $id) { loraStatus loraTrigger loraError } }"


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.user(superuser=True)


@pytest.fixture
async def owner(accounts: Accounts) -> Account:
    return await accounts.user()


def folder_files(settings: Settings, folder: str) -> list[Path]:
    path = settings.storage_dir / folder
    return sorted(child for child in path.iterdir() if child.is_file()) if path.is_dir() else []


def staged(settings: Settings, kind: str, entity_id: str) -> list[Path]:
    return folder_files(settings, f"lora-staging/{kind}s/{entity_id}")


def models(settings: Settings, kind: str, entity_id: str) -> list[Path]:
    return folder_files(settings, f"models/{kind}s/{entity_id}")


async def pending_key(session_factory: async_sessionmaker[AsyncSession], subject_id: str) -> str:
    async with session_factory() as session:
        row = await session.get(Subject, uuid.UUID(subject_id))
        assert row is not None and row.lora_upload_key is not None
        return row.lora_upload_key


async def received(pubsub: Any, *, expected: int, within: float = 3.0) -> list[bytes]:
    """The messages that arrive on a subscription (the subscribe confirmation aside), until `expected` came."""
    messages: list[bytes] = []
    deadline = asyncio.get_running_loop().time() + within
    while len(messages) < expected and asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            messages.append(message["data"])
    # Anything more (a stray third announcement) would show here.
    extra = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
    return messages + ([extra["data"]] if extra else [])


# --- success ---------------------------------------------------------------------------------------------------


async def test_subject_lora_becomes_ready_with_its_model_file(
    app: Starlette,
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
) -> None:
    subject_id = await make_subject(gql, owner)
    content = small_lora()
    pubsub = app.state.resources.redis.pubsub()
    await pubsub.subscribe(lora_channel(settings, "subject", uuid.UUID(subject_id)))
    try:
        # The client's file name is only looked at for its extension (any case); it never becomes a path.
        accepted = answer(
            await upload_lora(
                http, admin, "subject", subject_id, content, filename="../../outside/W.SafeTensors", trigger=" ohwx "
            )
        )
        assert accepted["loraStatus"] == "processing"
        assert accepted["loraTrigger"] == "ohwx"
        assert accepted["localModelPath"] is None and accepted["loraInfo"] is None
        assert len(staged(settings, "subject", subject_id)) == 1

        await run_jobs()

        messages = await received(pubsub, expected=2)
    finally:
        await pubsub.aclose()

    ready = await admin_view(gql, admin, "subject", subject_id)
    sha = hashlib.sha256(content).hexdigest()
    assert ready["loraStatus"] == "ready" and ready["loraError"] is None
    assert ready["loraTrigger"] == "ohwx"
    assert ready["localModelPath"] == f"models/subjects/{subject_id}/{sha}.safetensors"
    assert ready["loraFilename"] == f"{sha}.safetensors"
    assert (settings.storage_dir / ready["localModelPath"]).read_bytes() == content
    assert ready["loraInfo"] == {
        "format": "safetensors",
        "tensorCount": 2,
        "dtypes": ["F16", "F32"],
        "parameterCount": 33.0,
        "sizeBytes": len(content),
        "sha256": sha,
        "metadata": [{"key": "ss_network_dim", "value": "4"}],
    }
    assert staged(settings, "subject", subject_id) == []
    assert not (settings.storage_dir.parent / "outside").exists()
    # One announcement per committed state: processing, then ready.
    assert messages == [b"changed", b"changed"]
    # The owner sees the outcome too.
    seen = (await gql.data(PUBLIC_SUBJECT, {"id": subject_id}, as_=owner))["subject"]
    assert seen == {"loraStatus": "ready", "loraTrigger": "ohwx", "loraError": None}


async def test_style_lora_becomes_ready_with_training_progress(
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
) -> None:
    style_id = await make_style(gql, owner)
    content = safetensors({"a": ("BF16", [2, 2]), "b": ("BF16", [3])})
    accepted = answer(await upload_lora(http, admin, "style", style_id, content, trigger="in the style of zx"))
    assert (accepted["loraStatus"], accepted["trainingProgress"], accepted["trainingError"]) == ("processing", 0, None)

    await run_jobs()

    ready = await admin_view(gql, admin, "style", style_id)
    assert ready["loraStatus"] == "ready"
    assert ready["trainingProgress"] == 100 and ready["trainingError"] is None
    assert ready["loraTrigger"] == "in the style of zx"
    assert ready["localModelPath"].startswith(f"models/styles/{style_id}/")
    assert (settings.storage_dir / ready["localModelPath"]).read_bytes() == content
    assert (ready["loraInfo"]["tensorCount"], ready["loraInfo"]["dtypes"]) == (2, ["BF16"])


# --- bad files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["subject", "style"])
async def test_invalid_header_fails_with_the_reason(
    kind: str,
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
) -> None:
    entity_id = await (make_subject if kind == "subject" else make_style)(gql, owner)
    broken = struct.pack("<Q", 12) + b'{"a": [1, 2,' + b"\0" * 4
    assert answer(await upload_lora(http, admin, kind, entity_id, broken))["loraStatus"] == "processing"

    await run_jobs()

    failed = await admin_view(gql, admin, kind, entity_id)
    assert failed["loraStatus"] == "failed"
    reason = failed["loraError"] if kind == "subject" else failed["trainingError"]
    assert reason == "invalid safetensors header: not valid JSON"
    assert failed["localModelPath"] is None and failed["loraInfo"] is None
    assert staged(settings, kind, entity_id) == [] and models(settings, kind, entity_id) == []
    if kind == "subject":
        seen = (await gql.data(PUBLIC_SUBJECT, {"id": entity_id}, as_=owner))["subject"]
        assert seen["loraError"] == reason


def planted_pickle(marker: Path) -> bytes:
    """A pickle that creates `marker` when loaded: what a malicious .pt file does."""

    class Plant:
        def __reduce__(self) -> tuple[Any, ...]:
            return (open, (str(marker), "w"))

    return pickle.dumps(Plant(), protocol=4)


def checkpoint_zip(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/data/0", os.urandom(64))
    return buffer.getvalue()


async def test_pickles_are_stored_by_magic_bytes_and_never_run(
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    tmp_path: Path,
) -> None:
    # The payload is live: loading it here plants a file, which is exactly what must never happen in the worker.
    probe = tmp_path / "probe"
    pickle.loads(planted_pickle(probe))  # noqa: S301 - proving the test payload works, on our own bytes
    assert probe.exists()

    marker = tmp_path / "pwned"
    cases = {
        "weights.pt": (planted_pickle(marker) + os.urandom(8), "ready", "pickle"),
        "model.ckpt": (checkpoint_zip(planted_pickle(marker)), "ready", "pytorch-zip"),
        "weights.bin": (b"GGUF" + os.urandom(64), "failed", None),
    }
    subjects = {name: await make_subject(gql, owner) for name in cases}
    for name, (content, _, _) in cases.items():
        answer(await upload_lora(http, admin, "subject", subjects[name], content, filename=name))

    await run_jobs()

    assert not marker.exists()
    for name, (content, status, file_format) in cases.items():
        view = await admin_view(gql, admin, "subject", subjects[name])
        assert view["loraStatus"] == status, (name, view)
        if status == "ready":
            assert view["loraInfo"]["format"] == file_format
            assert view["loraInfo"]["tensorCount"] is None and view["loraInfo"]["dtypes"] == []
            assert view["localModelPath"].endswith("." + name.rpartition(".")[2])
            assert (settings.storage_dir / view["localModelPath"]).read_bytes() == content
        else:
            assert view["loraError"].startswith("not a PyTorch checkpoint")
            assert models(settings, "subject", subjects[name]) == []


# --- refused up front ------------------------------------------------------------------------------------------


async def test_too_large_is_refused_while_reading_and_nothing_is_kept(
    gql: GraphQLClient, settings: Settings, admin: Account, owner: Account
) -> None:
    small = create_app(settings.model_copy(update={"lora_max_bytes": 1024}))
    subject_id = await make_subject(gql, owner)
    tmp_before = set(folder_files(settings, "tmp"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://testserver") as http:
            body = await upload_lora(http, admin, "subject", subject_id, b"\0" * 1025)
            assert error_code(body["errors"][0]) == "PAYLOAD_TOO_LARGE"
            assert "1 KB" in body["errors"][0]["message"]
            assert set(folder_files(settings, "tmp")) == tmp_before
            assert staged(settings, "subject", subject_id) == []
            view = await admin_view(gql, admin, "subject", subject_id)
            assert (view["loraStatus"], view["loraTrigger"]) == ("none", None)

            # At the cap exactly, the file is taken (the worker judges its content later).
            accepted = await upload_lora(http, admin, "subject", subject_id, b"\0" * 1024)
            assert answer(accepted)["loraStatus"] == "processing"
    finally:
        await small.state.resources.close()


async def test_arguments_are_checked_before_anything_is_stored(
    http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings, admin: Account, owner: Account
) -> None:
    subject_id = await make_subject(gql, owner)
    style_id = await make_style(gql, owner)
    content = small_lora()

    async def bad(kind: str, entity_id: str, **arguments: Any) -> dict[str, str]:
        body = await upload_lora(http, admin, kind, entity_id, content, **arguments)
        assert error_code(body["errors"][0]) == "BAD_USER_INPUT", body
        fields: dict[str, str] = body["errors"][0]["extensions"]["fields"]
        return fields

    assert "unsupported LoRA format: .exe" in (await bad("subject", subject_id, filename="weights.exe"))["file"]
    assert "no extension" in (await bad("style", style_id, filename="weights"))["file"]
    assert set(await bad("subject", subject_id, filename="x.txt", trigger="  ")) == {"file", "loraTrigger"}
    assert "at most 255" in (await bad("subject", subject_id, trigger="t" * 256))["loraTrigger"]
    assert "at most 128" in (await bad("style", style_id, trigger="t" * 129))["loraTrigger"]
    assert "entityType" in await bad("subject", subject_id, entityType="style")
    empty = await upload_lora(http, admin, "subject", subject_id, b"")
    assert empty["errors"][0]["extensions"]["fields"] == {"file": "the file is empty"}

    assert staged(settings, "subject", subject_id) == [] and staged(settings, "style", style_id) == []
    assert (await admin_view(gql, admin, "subject", subject_id))["loraStatus"] == "none"
    assert (await admin_view(gql, admin, "style", style_id))["loraStatus"] == "none"
    # `subject` (any case) is the one documented entityType value this mutation accepts.
    accepted = await upload_lora(http, admin, "subject", subject_id, content, entityType="Subject")
    assert answer(accepted)["loraStatus"] == "processing"


async def test_only_superusers_and_only_live_entities(
    http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings, admin: Account, owner: Account
) -> None:
    subject_id = await make_subject(gql, owner)
    style_id = await make_style(gql, owner)
    content = small_lora()
    for kind, entity_id in (("subject", subject_id), ("style", style_id)):
        # Even the owner may not: the spec puts these under its admin paths.
        assert error_code((await upload_lora(http, owner, kind, entity_id, content))["errors"][0]) == "FORBIDDEN"
        anonymous = await upload_lora(http, None, kind, entity_id, content)
        assert error_code(anonymous["errors"][0]) == "UNAUTHENTICATED"
        missing = await upload_lora(http, admin, kind, str(uuid.uuid4()), content)
        assert error_code(missing["errors"][0]) == "NOT_FOUND"
        assert staged(settings, kind, entity_id) == []

    await gql.data(DELETE_SUBJECT, {"id": subject_id}, as_=owner)
    deleted = await upload_lora(http, admin, "subject", subject_id, content)
    assert error_code(deleted["errors"][0]) == "NOT_FOUND"
    assert staged(settings, "subject", subject_id) == []


# --- state -----------------------------------------------------------------------------------------------------


async def test_processing_twice_conflicts_and_a_new_file_replaces_the_old(
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
) -> None:
    subject_id = await make_subject(gql, owner)
    first, second = small_lora(), small_lora()
    answer(await upload_lora(http, admin, "subject", subject_id, first, trigger="one"))
    conflict = await upload_lora(http, admin, "subject", subject_id, second, trigger="two")
    assert error_code(conflict["errors"][0]) == "CONFLICT"
    assert len(staged(settings, "subject", subject_id)) == 1

    await run_jobs()
    one = await admin_view(gql, admin, "subject", subject_id)
    assert (one["loraStatus"], one["loraTrigger"]) == ("ready", "one")
    first_file = settings.storage_dir / one["localModelPath"]
    assert first_file.read_bytes() == first

    answer(await upload_lora(http, admin, "subject", subject_id, second, trigger="two"))
    await run_jobs()
    two = await admin_view(gql, admin, "subject", subject_id)
    assert (two["loraStatus"], two["loraTrigger"]) == ("ready", "two")
    assert (settings.storage_dir / two["localModelPath"]).read_bytes() == second
    # The replaced model file is gone; the same weights sent again keep their one file.
    assert not first_file.exists()
    answer(await upload_lora(http, admin, "subject", subject_id, second, trigger="two again"))
    await run_jobs()
    again = await admin_view(gql, admin, "subject", subject_id)
    assert again["localModelPath"] == two["localModelPath"] and again["loraTrigger"] == "two again"
    assert models(settings, "subject", subject_id) == [settings.storage_dir / two["localModelPath"]]


async def test_two_uploads_at_once_one_wins(
    http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings, admin: Account, owner: Account
) -> None:
    subject_id = await make_subject(gql, owner)
    bodies = await asyncio.gather(
        *(upload_lora(http, admin, "subject", subject_id, small_lora(), trigger=f"t{n}") for n in range(2))
    )
    codes = sorted(error_code(body["errors"][0]) if body.get("errors") else "OK" for body in bodies)
    assert codes == ["CONFLICT", "OK"]
    winner = next(answer(body) for body in bodies if not body.get("errors"))
    assert (await admin_view(gql, admin, "subject", subject_id))["loraTrigger"] == winner["loraTrigger"]
    # The loser's file is not kept.
    assert len(staged(settings, "subject", subject_id)) == 1


async def test_a_job_delivered_again_changes_nothing(
    app: Starlette,
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    subject_id = await make_subject(gql, owner)
    answer(await upload_lora(http, admin, "subject", subject_id, small_lora()))
    key = await pending_key(session_factory, subject_id)
    await run_jobs()
    before = await admin_view(gql, admin, "subject", subject_id)

    result = await lora_ingest({"resources": app.state.resources, "job_try": 2}, "subject", subject_id, key)

    assert result["outcome"] == "superseded"
    assert await admin_view(gql, admin, "subject", subject_id) == before
    assert (settings.storage_dir / before["localModelPath"]).is_file()


async def test_a_delivery_that_died_after_the_move_is_finished_by_the_next(
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    subject_id = await make_subject(gql, owner)
    content = small_lora()
    answer(await upload_lora(http, admin, "subject", subject_id, content))
    key = await pending_key(session_factory, subject_id)
    sha = key.rpartition("/")[2].split("-")[0]
    # What a worker killed between moving the file and committing the row leaves behind.
    target = settings.storage_dir / model_key("subject", uuid.UUID(subject_id), sha, "safetensors")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(settings.storage_dir / key, target)

    await run_jobs()

    view = await admin_view(gql, admin, "subject", subject_id)
    assert view["loraStatus"] == "ready" and settings.storage_dir / view["localModelPath"] == target
    assert target.read_bytes() == content


async def test_an_abandoned_processing_state_can_be_replaced(
    run_jobs: RunJobs,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    admin: Account,
    owner: Account,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    subject_id = await make_subject(gql, owner)
    answer(await upload_lora(http, admin, "subject", subject_id, small_lora(), trigger="lost"))
    abandoned = settings.storage_dir / await pending_key(session_factory, subject_id)
    # Its job never ran for over an hour (a wiped queue): a new upload may take over.
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Subject).where(Subject.id == uuid.UUID(subject_id)).values(updated_at=utcnow() - timedelta(hours=2))
        )
    content = small_lora()
    answer(await upload_lora(http, admin, "subject", subject_id, content, trigger="found"))
    assert not abandoned.exists()

    await run_jobs()

    view = await admin_view(gql, admin, "subject", subject_id)
    assert (view["loraStatus"], view["loraTrigger"]) == ("ready", "found")
    assert (settings.storage_dir / view["localModelPath"]).read_bytes() == content
