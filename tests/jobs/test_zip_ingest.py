"""ZIP ingest end to end: the mutation stages the file and answers a PENDING task, a real arq worker applies the
layout rules through the media path, and the task row (read back through the API) tells what happened."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.settings import Settings
from db.models import OrganizationMembership, Subject, SubjectBaseImagesUploadTask
from db.models.enums import TaskStatus
from jobs.zip_ingest import ingest_base_images_zip
from services.upload_tasks import NOT_AN_IMAGE
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import FIELDS, GET, add_base_image, create, make_organization
from tests.images import data_uri
from tests.jobs.conftest import RunJobs
from tests.jobs.zip_helpers import (
    LATEST,
    TASK,
    archive_key,
    build_zip,
    default_shot_type_id,
    directory,
    files_under,
    jpeg,
    media_rows_per_key,
    only_error,
    png,
    staged_files,
    subject_rows,
    task_as,
    unique_png,
    upload_zip,
    uploaded_task,
)

SUBJECT_IMAGES = f"query($id: UUID!) {{ subject(id: $id) {{ {FIELDS} }} }}"


def layout_zip() -> tuple[bytes, list[dict[str, Any]]]:
    """Images named after default shot types at several depths, a portfolio, and junk; with the resultData
    entries the archive must produce, in archive order (folders are not items)."""
    members: list[tuple[Any, bytes]] = [
        ("front_full_body.png", png(1)),
        (directory("looks"), b""),
        ("looks/a/Back_Full_Body.JPG", jpeg(2)),
        ("looks/a/b/c/side_upper_body.png", png(3)),
        ("portfolio/one.png", png(4)),
        ("portfolio/sub/two.jpg", jpeg(5)),
        ("portfolio/front_headshot.png", png(6)),
        ("notes.txt", b"shot list"),
        ("looks/unknown_pose.png", png(7)),
        ("__MACOSX/._front_full_body.png", b"\0\5\26\7"),
        ("looks/.DS_Store", b"\0"),
    ]
    expected = [
        {"name": "front_full_body.png", "outcome": "base_image", "shotTypeId": default_shot_type_id("front_full_body")},
        {
            "name": "looks/a/Back_Full_Body.JPG",
            "outcome": "base_image",
            "shotTypeId": default_shot_type_id("back_full_body"),
        },
        {
            "name": "looks/a/b/c/side_upper_body.png",
            "outcome": "base_image",
            "shotTypeId": default_shot_type_id("side_upper_body"),
        },
        {"name": "portfolio/one.png", "outcome": "portfolio"},
        {"name": "portfolio/sub/two.jpg", "outcome": "portfolio"},
        {"name": "portfolio/front_headshot.png", "outcome": "portfolio"},
        {"name": "notes.txt", "outcome": "skipped", "reason": NOT_AN_IMAGE},
        {"name": "looks/unknown_pose.png", "outcome": "skipped", "reason": 'no shot type named "unknown_pose"'},
        {"name": "__MACOSX/._front_full_body.png", "outcome": "skipped", "reason": "hidden or system file"},
        {"name": "looks/.DS_Store", "outcome": "skipped", "reason": "hidden or system file"},
    ]
    return build_zip(members), expected


async def test_layout_rules_counts_and_result(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    content, expected = layout_zip()

    pending = uploaded_task(await upload_zip(http, owner, content, subject_id=subject["id"]))
    assert pending["status"] == "PENDING"
    assert pending["subjectId"] == subject["id"] and pending["ownerId"] == str(owner.id)
    assert (pending["progress"], pending["totalItems"], pending["processedItems"]) == (0, 0, 0)
    assert pending["startedAt"] is None and pending["completedAt"] is None and pending["resultData"] is None
    # Waiting for the worker, under the non-served uploads namespace.
    assert (settings.storage_dir / archive_key(content)).is_file()
    staged_before = staged_files(settings.storage_dir)

    await run_jobs()

    task = await task_as(gql, owner, pending["id"])
    assert task["status"] == "COMPLETED", task
    assert task["errorMessage"] is None
    assert (task["progress"], task["totalItems"], task["processedItems"]) == (100, 10, 10)
    assert (task["imagesProcessed"], task["portfolioImagesProcessed"], task["imagesSkipped"]) == (3, 3, 4)
    assert task["startedAt"] is not None and task["completedAt"] >= task["startedAt"] >= task["createdAt"]
    assert task["resultData"] == {"subjectId": subject["id"], "entries": expected}

    seen = (await gql.data(SUBJECT_IMAGES, {"id": subject["id"]}, as_=owner))["subject"]
    assert {image["shotTypeLabel"] for image in seen["baseImages"]} == {
        "front_full_body",
        "back_full_body",
        "side_upper_body",
    }
    portfolio = [media["url"].rsplit("/", 1)[1] for media in seen["portfolioImagesMedia"]]
    assert portfolio == [
        f"{hashlib.sha256(data).hexdigest()}.{extension}"
        for data, extension in ((png(4), "png"), (jpeg(5), "jpg"), (png(6), "png"))
    ]
    # The uploaded ZIP is gone once the task ended; nothing is left staged.
    assert not (settings.storage_dir / archive_key(content)).exists()
    assert staged_files(settings.storage_dir) <= staged_before

    latest = (await gql.data(LATEST, {"subjectId": subject["id"]}, as_=owner))["subjectLatestUploadTask"]
    assert latest == task


async def test_base_images_are_replaced_and_the_old_file_released(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    subject = await create(gql, owner)
    old = unique_png()
    await add_base_image(gql, owner, subject["id"], default_shot_type_id("front_full_body"), data_uri(old))
    old_key = f"media/{hashlib.sha256(old).hexdigest()[:2]}/{hashlib.sha256(old).hexdigest()}.png"
    assert (settings.storage_dir / old_key).is_file()
    new = unique_png()

    task = uploaded_task(
        await upload_zip(http, owner, build_zip([("FRONT_FULL_BODY.png", new)]), subject_id=subject["id"])
    )
    await run_jobs()

    assert (await task_as(gql, owner, task["id"]))["status"] == "COMPLETED"
    seen = (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]
    assert len(seen["baseImages"]) == 1
    assert seen["baseImages"][0]["imageUrl"].endswith(f"{hashlib.sha256(new).hexdigest()}.png")
    assert not (settings.storage_dir / old_key).exists()


async def test_the_job_run_again_leaves_the_same_rows(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    app: Starlette,
    session_factory: async_sessionmaker[AsyncSession],
    run_jobs: RunJobs,
) -> None:
    """arq delivers at least once: a worker that dies before acknowledging has the job run a second time. Here
    the task is put back as it stood before its final commit (PROCESSING, ZIP in place) and run again."""
    owner = await accounts.user()
    subject = await create(gql, owner)
    content = build_zip(
        [("front_full_body.png", unique_png()), ("x/detail.png", unique_png())]
        + [(f"portfolio/{index}.png", unique_png()) for index in range(25)]
        # The same picture twice in the portfolio is one portfolio image.
        + [("portfolio/again.png", png(4242)), ("portfolio/again-copy.png", png(4242))]
    )
    task = uploaded_task(await upload_zip(http, owner, content, subject_id=subject["id"]))
    await run_jobs()
    first = await task_as(gql, owner, task["id"])
    before = await subject_rows(session_factory, subject["id"], owner.id)
    assert (first["imagesProcessed"], first["portfolioImagesProcessed"], first["imagesSkipped"]) == (2, 27, 0)
    assert len(before.base_images) == 2 and len(before.portfolio) == 26

    resources = app.state.resources
    archive_key = await resources.storage.store_bytes(content, extension="zip", namespace="uploads")
    async with session_factory() as session, session.begin():
        await session.execute(
            update(SubjectBaseImagesUploadTask)
            .where(SubjectBaseImagesUploadTask.id == uuid.UUID(task["id"]))
            .values(status=TaskStatus.PROCESSING, completed_at=None, archive_key=archive_key)
        )
    assert await ingest_base_images_zip({"resources": resources}, task["id"]) == "completed"

    again = await task_as(gql, owner, task["id"])
    after = await subject_rows(session_factory, subject["id"], owner.id)
    assert after == before
    assert await media_rows_per_key(session_factory, owner.id) == 1
    assert again["resultData"] == first["resultData"]
    assert {key: again[key] for key in ("status", "totalItems", "imagesProcessed", "portfolioImagesProcessed")} == {
        key: first[key] for key in ("status", "totalItems", "imagesProcessed", "portfolioImagesProcessed")
    }
    # Delivered once more after it completed: nothing happens at all.
    assert await ingest_base_images_zip({"resources": resources}, task["id"]) == "already finished"
    assert await subject_rows(session_factory, subject["id"], owner.id) == before


async def test_metadata_json_makes_the_subject(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    run_jobs: RunJobs,
) -> None:
    owner = await accounts.user()
    cover = unique_png()
    metadata = {
        "name": "Ada",
        "surname": "Zip",
        "age_class": "adult",
        "gender": "NON_BINARY",
        "body_type": "athletic",
        "description": "made from a ZIP",
        "public": False,
        "measurements": {"height_cm": 178, "eye_color": "green"},
        "cover_image": data_uri(cover),
        "some_export_field": "ignored",
    }
    content = build_zip([("metadata.json", json.dumps(metadata).encode()), ("front_full_body.png", png(11))])

    task = uploaded_task(await upload_zip(http, owner, content))
    subject = (await gql.data(GET, {"id": task["subjectId"]}, as_=owner))["subject"]
    assert (subject["name"], subject["surname"], subject["ageClass"], subject["gender"]) == (
        "Ada",
        "Zip",
        "ADULT",
        "NON_BINARY",
    )
    assert (subject["bodyType"], subject["description"], subject["ownerId"]) == (
        "ATHLETIC",
        "made from a ZIP",
        str(owner.id),
    )
    assert subject["measurements"]["heightCm"] == 178 and subject["measurements"]["eyeColor"] == "GREEN"
    assert subject["coverImageMedia"]["id"] and subject["coverImageUrl"].endswith(
        f"{hashlib.sha256(cover).hexdigest()}.png"
    )

    await run_jobs()
    done = await task_as(gql, owner, task["id"])
    # metadata.json is not an item: one entry, the base image.
    assert (done["status"], done["totalItems"], done["imagesProcessed"]) == ("COMPLETED", 1, 1)
    assert done["resultData"]["subjectId"] == task["subjectId"]
    assert [entry["name"] for entry in done["resultData"]["entries"]] == ["front_full_body.png"]


async def test_without_a_cover_the_first_shot_type_image_is_taken(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, run_jobs: RunJobs
) -> None:
    owner = await accounts.user()
    organization = await make_organization(gql, owner)
    first_base_image = unique_png()
    content = build_zip(
        [
            ("portfolio/first-in-the-archive.png", unique_png()),
            ("broken/front_full_body.png", b"\x89PNG\r\n\x1a\n not really"),
            ("looks/back_full_body.png", first_base_image),
            ("metadata.json", json.dumps({"name": "No Cover", "age_class": "teen"}).encode()),
        ]
    )
    task = uploaded_task(await upload_zip(http, owner, content, organization_id=organization))
    subject = (await gql.data(GET, {"id": task["subjectId"]}, as_=owner))["subject"]
    # Images outside portfolio/ come first, and one that is not a usable image is passed over.
    assert subject["coverImageUrl"].endswith(f"{hashlib.sha256(first_base_image).hexdigest()}.png")
    assert subject["organizationId"] == organization and subject["ageClass"] == "TEEN"
    await run_jobs()
    assert (await task_as(gql, owner, task["id"]))["imagesProcessed"] == 1


async def test_metadata_problems_are_refused_before_anything_is_made(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    owner = await accounts.user()
    files_before = files_under(settings.storage_dir)
    cases = [
        (build_zip([("front_full_body.png", png(1))]), "metadata.json is required when subjectId is not given"),
        # Only the root counts.
        (
            build_zip([("inner/metadata.json", b'{"name": "X", "age_class": "adult"}')]),
            "metadata.json is required when subjectId is not given",
        ),
        (build_zip([("metadata.json", b"{not json")]), "metadata.json: not valid JSON"),
        (build_zip([("metadata.json", b'["a list"]')]), "metadata.json: must be a JSON object"),
        (
            build_zip([("metadata.json", b'{"name": "X", "age_class": "ancient", "public": "yes"}')]),
            "metadata.json: age_class: must be one of newborn, baby, toddler, child, teen, adult, senior; "
            "public: must be true or false",
        ),
        (build_zip([("metadata.json", b'{"age_class": "adult"}')]), "metadata.json: name: is required"),
        (
            # PostgreSQL cannot store a NUL in text: refused by name, wherever it hides.
            build_zip([("metadata.json", b'{"name": "X", "age_class": "adult", "tags": ["ok", "b\\u0000d"]}')]),
            "metadata.json: tags.1: must not contain a NUL character",
        ),
        (
            build_zip([("metadata.json", json.dumps({"name": "N" * 256, "age_class": "adult"}).encode())]),
            "metadata.json: name: must be at most 255 characters",
        ),
        (
            build_zip([("metadata.json", b'{"name": "X", "age_class": "adult", "measurements": {"height_cm": -1}}')]),
            "metadata.json: measurements.height_cm: must be greater than 0",
        ),
        (
            build_zip([("metadata.json", b'{"name": "X", "age_class": "adult", "cover_image": "ftp://x/y.png"}')]),
            "metadata.json: cover_image: must be an https URL, a data: URI (base64) or the URL of an upload",
        ),
        (
            build_zip([("metadata.json", b'{"name": "X", "age_class": "adult"}'), ("notes.txt", b"no images")]),
            "metadata.json names no cover_image and the archive holds no usable image to take instead",
        ),
        (
            build_zip([("metadata.json", b" " * (1024 * 1024 + 1))], compression=zipfile.ZIP_STORED),
            "metadata.json: larger than 1 MB",
        ),
        (
            # Compressed past the ratio a file of this size may have: refused before it is inflated.
            build_zip([("metadata.json", b" " * (2 * 1024 * 1024))]),
            "metadata.json: suspicious compression ratio",
        ),
    ]
    async with session_factory() as session:
        subjects_before = await session.scalar(select(func.count()).where(Subject.owner_id == owner.id))
    for content, message in cases:
        error = only_error(await upload_zip(http, owner, content))
        assert error_code(error) == "BAD_USER_INPUT", error
        assert error["extensions"]["fields"] == {"file": message}
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).where(Subject.owner_id == owner.id)) == subjects_before
    assert files_under(settings.storage_dir) == files_before


async def test_refusals_of_the_mutation(
    http: httpx.AsyncClient, gql: GraphQLClient, accounts: Accounts, settings: Settings, app: Starlette
) -> None:
    owner, stranger = await accounts.user(), await accounts.user()
    private = await create(gql, owner)
    public = await create(gql, owner, public=True)
    content = build_zip([("front_full_body.png", png(1))])
    files_before = files_under(settings.storage_dir)

    assert error_code(only_error(await upload_zip(http, None, content, subject_id=private["id"]))) == (
        "UNAUTHENTICATED"
    )
    assert error_code(only_error(await upload_zip(http, stranger, content, subject_id=private["id"]))) == "NOT_FOUND"
    assert error_code(only_error(await upload_zip(http, stranger, content, subject_id=public["id"]))) == "FORBIDDEN"
    unknown = str(uuid.uuid4())
    assert error_code(only_error(await upload_zip(http, owner, content, subject_id=unknown))) == "NOT_FOUND"
    organization = await make_organization(gql, owner)
    assert error_code(only_error(await upload_zip(http, stranger, content, organization_id=organization))) == (
        "FORBIDDEN"
    )

    for not_a_zip in (png(1), b"", b"PK\x05\x06" + bytes(10)):
        error = only_error(await upload_zip(http, owner, not_a_zip, subject_id=private["id"]))
        assert error_code(error) == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == {"file": "the file is not a ZIP archive"}
    too_many = build_zip([(f"e{index}.txt", b"") for index in range(settings.zip_max_entries + 1)])
    error = only_error(await upload_zip(http, owner, too_many, subject_id=private["id"]))
    assert error["extensions"]["fields"] == {"file": f"the archive has more than {settings.zip_max_entries} entries"}
    assert files_under(settings.storage_dir) == files_before


async def test_a_zip_over_the_size_limit_is_refused_and_not_kept(
    accounts: Accounts, settings: Settings, run_jobs: RunJobs
) -> None:
    # A deployment with a small limit (its own app on the same database, Redis and storage).
    from graph.app import create_app

    small = settings.model_copy(update={"zip_max_bytes": 2000})
    app = create_app(small)
    try:
        owner = await accounts.user()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            subject = await create(GraphQLClient(client), owner)
            files_before = files_under(settings.storage_dir)
            fits = build_zip([("a.txt", b"x" * 100)])
            over = build_zip([("a.bin", uuid.uuid4().bytes * 200)], compression=0)
            assert len(fits) <= 2000 < len(over)
            error = only_error(await upload_zip(client, owner, over, subject_id=subject["id"]))
            assert error_code(error) == "PAYLOAD_TOO_LARGE"
            assert "larger than 2 KB" in error["message"]
            assert files_under(settings.storage_dir) == files_before
            uploaded_task(await upload_zip(client, owner, fits, subject_id=subject["id"]))
        await run_jobs()
    finally:
        await app.state.resources.close()


async def test_who_reads_a_task(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    accounts: Accounts,
    session_factory: async_sessionmaker[AsyncSession],
    run_jobs: RunJobs,
) -> None:
    owner, member, stranger = await accounts.user(), await accounts.user(), await accounts.user()
    admin = await accounts.user(superuser=True)
    organization = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(organization))
    shared = await create(gql, owner, organization)
    private = await create(gql, owner)
    content = build_zip([("front_full_body.png", png(1))])

    in_organization = uploaded_task(await upload_zip(http, member, content, subject_id=shared["id"]))
    personal = uploaded_task(await upload_zip(http, owner, content, subject_id=private["id"]))
    await run_jobs()

    # The uploader, whoever can see the subject, superusers.
    for reader in (member, owner, admin):
        assert (await task_as(gql, reader, in_organization["id"]))["ownerId"] == str(member.id)
    for reader in (owner, admin):
        assert (await task_as(gql, reader, personal["id"]))["id"] == personal["id"]
    for reader, task_id in ((stranger, in_organization["id"]), (stranger, personal["id"]), (member, personal["id"])):
        assert error_code(await gql.error(TASK, {"id": task_id}, as_=reader)) == "NOT_FOUND"
    assert error_code(await gql.error(TASK, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"

    latest = await gql.data(LATEST, {"subjectId": shared["id"], "org": organization}, as_=owner)
    assert latest["subjectLatestUploadTask"]["id"] == in_organization["id"]
    newer = uploaded_task(await upload_zip(http, owner, content, subject_id=shared["id"]))
    await run_jobs()
    latest = await gql.data(LATEST, {"subjectId": shared["id"]}, as_=member)
    assert latest["subjectLatestUploadTask"]["id"] == newer["id"]
    assert error_code(await gql.error(LATEST, {"subjectId": private["id"]}, as_=stranger)) == "NOT_FOUND"
    without_tasks = await create(gql, owner)
    assert error_code(await gql.error(LATEST, {"subjectId": without_tasks["id"]}, as_=owner)) == "NOT_FOUND"

    # The uploader keeps reading their task after losing access to the subject.
    async with session_factory() as session, session.begin():
        await session.execute(delete(OrganizationMembership).where(OrganizationMembership.user_id == member.id))
    assert error_code(await gql.error(GET, {"id": shared["id"]}, as_=member)) == "NOT_FOUND"
    assert (await task_as(gql, member, in_organization["id"]))["id"] == in_organization["id"]
