"""Subjects: creation with every nested part, the documented limits, update semantics, slugs (also under fifty
concurrent creates), the LoRA fields, and delete/restore."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import (
    COVER,
    CREATE,
    DELETE,
    GET,
    LIST,
    RESTORE,
    create,
    image,
    make_shot_type,
    unique,
    update,
)
from tests.images import image_uri


def widths(media: list[dict[str, Any]]) -> list[int]:
    return [item["width"] for item in media]


async def test_spec_example_creates_a_subject(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    # The spec's request body in camelCase. Its "string" placeholder for lora_status is replaced by the
    # documented default, and cover_image (required) is given as a data: URI.
    example = {
        "name": "string",
        "surname": None,
        "description": None,
        "localModelPath": None,
        "loraTrigger": None,
        "loraStatus": "none",
        "coverImage": {"url": image_uri(width=30, height=40)},
        "dataImages": None,
        "portraitImage": None,
        "portfolioImages": None,
        "baseImages": None,
        "ageClass": "NEWBORN",
        "gender": "MALE",
        "positivePrompt": None,
        "negativePrompt": None,
        "ethnicity": None,
        "public": True,
        "subjectType": "AI",
        "bodyType": None,
        "organizationId": None,
        "measurements": None,
    }
    created = (await gql.data(CREATE, {"input": example}, as_=owner))["createSubject"]
    assert (created["name"], created["ageClass"], created["gender"], created["subjectType"]) == (
        "string",
        "NEWBORN",
        "MALE",
        "AI",
    )
    assert created["slug"] == "string" or created["slug"].startswith("string-")
    assert (created["public"], created["enabled"], created["ready"]) == (True, True, False)
    assert (created["loraStatus"], created["loraTrigger"], created["ownerId"]) == ("none", None, str(owner.id))
    assert (created["organizationId"], created["deletedAt"], created["measurements"]) == (None, None, None)
    assert created["coverImageMedia"]["width"] == 30 and created["coverImageUrl"] == created["coverImageMedia"]["url"]
    assert (created["dataImageUrls"], created["dataImagesMedia"], created["portfolioImagesMedia"]) == ([], [], [])
    assert (created["baseImages"], created["portraitImageUrl"]) == ([], None)
    served = await gql.http.get(created["coverImageUrl"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["subject"] == created


async def test_create_with_every_nested_part(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    front, back = await make_shot_type(gql, owner), await make_shot_type(gql, owner, public=True)
    created = await create(
        gql,
        owner,
        name="Ada",
        surname="Lovelace",
        description="Calm",
        ethnicity="Mixed",
        positivePrompt="soft light",
        negativePrompt="blur",
        bodyType="ATHLETIC",
        gender="FEMALE",
        subjectType="HUMAN",
        loraTrigger="ada_person",
        portraitImage=image(21),
        dataImages=[image(31), image(32), image(33)],
        portfolioImages=[image(41), image(42)],
        baseImages=[
            {"imageUrl": image_uri(width=51), "shotTypeId": front["id"]},
            {"imageUrl": image_uri(width=52), "shotTypeId": back["id"]},
            # A later entry for the same shot type wins.
            {"imageUrl": image_uri(width=53), "shotTypeId": front["id"]},
        ],
        measurements={
            "bustCm": 86,
            "waistCm": 61.5,
            "hipsCm": 90,
            "heightCm": 175,
            "shoeEu": 39.5,
            "eyeColor": "GREEN",
            "hairColor": "AUBURN",
        },
    )
    assert created["slug"].startswith("ada-lovelace")
    assert (created["bodyType"], created["subjectType"], created["loraTrigger"]) == ("ATHLETIC", "HUMAN", "ada_person")
    assert created["portraitImageMedia"]["width"] == 21
    assert widths(created["dataImagesMedia"]) == [31, 32, 33]
    assert created["dataImageUrls"] == [media["url"] for media in created["dataImagesMedia"]]
    assert widths(created["portfolioImagesMedia"]) == [41, 42]
    by_shot = {b["shotTypeId"]: b for b in created["baseImages"]}
    assert set(by_shot) == {front["id"], back["id"]}
    assert by_shot[front["id"]]["shotTypeLabel"] == front["name"]
    assert by_shot[back["id"]]["shotType"] == {"id": back["id"], "name": back["name"]}
    base_image = await gql.http.get(by_shot[front["id"]]["imageUrl"])
    assert base_image.status_code == 200
    measurements = created["measurements"]
    del measurements["id"]
    assert measurements == {"bustCm": 86.0, "waistCm": 61.5, "hipsCm": 90.0, "heightCm": 175.0, "shoeEu": 39.5,
                            "eyeColor": "GREEN", "hairColor": "AUBURN"}  # fmt: skip
    fetched = (await gql.data(GET, {"id": created["id"]}, as_=owner))["subject"]
    assert widths(fetched["dataImagesMedia"]) == [31, 32, 33]
    assert {b["shotTypeId"]: b["imageUrl"] for b in fetched["baseImages"]} == {
        key: value["imageUrl"] for key, value in by_shot.items()
    }


async def test_documented_limits_name_the_bad_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other = await accounts.user(), await accounts.user()
    base = {"name": "n", "ageClass": "ADULT", "coverImage": {"url": COVER}}

    async def fields(**changes: Any) -> dict[str, str]:
        error = await gql.error(CREATE, {"input": {**base, **changes}}, as_=owner)
        assert error_code(error) == "BAD_USER_INPUT", error
        return dict(error["extensions"]["fields"])

    assert await fields(name="x" * 256, surname="s" * 256, ethnicity="e" * 256) == {
        "input.name": "must be at most 255 characters",
        "input.surname": "must be at most 255 characters",
        "input.ethnicity": "must be at most 255 characters",
    }
    assert await fields(name="  ") == {"input.name": "must not be blank"}
    assert await fields(measurements={"heightCm": 0, "shoeEu": -1, "bustCm": 80}) == {
        "input.measurements.heightCm": "must be greater than 0",
        "input.measurements.shoeEu": "must be greater than 0",
    }
    many = [{"url": "https://example.com/a.png"}] * 51
    assert await fields(dataImages=many, portfolioImages=many) == {
        "input.dataImages": "must contain at most 50 images per request",
        "input.portfolioImages": "must contain at most 50 images per request",
    }
    shot = await make_shot_type(gql, owner)
    many_base = [{"imageUrl": "https://example.com/a.png", "shotTypeId": shot["id"]}] * 51
    assert await fields(baseImages=many_base) == {"input.baseImages": "must contain at most 50 images per request"}
    assert await fields(loraStatus="string") == {"input.loraStatus": "must be one of none, processing, ready, failed"}
    assert await fields(dataImages=[image(), {"url": "data:text/plain;base64,aGVsbG8="}]) == {
        "input.dataImages.1": "not an image"
    }
    assert await fields(coverImage={}) == {"input.coverImage": "give exactly one of url or mediaResourceId"}
    # A shot type the caller cannot see is refused without saying whether it exists.
    hidden = await make_shot_type(gql, other)
    refused = await fields(
        baseImages=[
            {"imageUrl": COVER, "shotTypeId": shot["id"]},
            {"imageUrl": COVER, "shotTypeId": hidden["id"]},
            {"imageUrl": COVER, "shotTypeId": str(uuid.uuid4())},
        ]
    )
    assert refused == {
        "input.baseImages.1.shotTypeId": "no shot type you can see has this id",
        "input.baseImages.2.shotTypeId": "no shot type you can see has this id",
    }
    missing_cover = await gql.error(CREATE, {"input": {"name": "n", "ageClass": "ADULT"}}, as_=owner)
    assert error_code(missing_cover) == "BAD_USER_INPUT"
    # Nothing was created by any refused call.
    assert (await gql.data(LIST, {}, as_=owner))["subjects"]["count"] == 0
    assert len((await create(gql, owner, name="n" * 255))["name"]) == 255


async def test_lora_fields_are_set_by_superusers_only(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    base = {"name": "n", "ageClass": "ADULT", "coverImage": {"url": COVER}}
    refused = await gql.error(CREATE, {"input": {**base, "localModelPath": "/models/a.safetensors"}}, as_=owner)
    assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "Only superusers may set localModelPath")
    refused = await gql.error(CREATE, {"input": {**base, "loraStatus": "ready"}}, as_=owner)
    assert error_code(refused) == "FORBIDDEN"
    made = await create(gql, admin, loraStatus="ready", localModelPath="/models/ada/ada_v2.safetensors")
    assert made["loraStatus"] == "ready"
    query = "query($id: UUID!) { adminSubject(id: $id) { localModelPath loraFilename loraStatus } }"
    assert (await gql.data(query, {"id": made["id"]}, as_=admin))["adminSubject"] == {
        "localModelPath": "/models/ada/ada_v2.safetensors",
        "loraFilename": "ada_v2.safetensors",
        "loraStatus": "ready",
    }
    # The public type has no such fields at all.
    error = await gql.error("query($id: UUID!) { subject(id: $id) { localModelPath } }", {"id": made["id"]}, as_=admin)
    assert error_code(error) == "GRAPHQL_VALIDATION_FAILED"


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await create(
        gql,
        owner,
        name="Bea",
        surname="Stone",
        ethnicity="Nordic",
        portraitImage=image(21),
        dataImages=[image(31), image(32)],
        portfolioImages=[image(41)],
        measurements={"heightCm": 170, "eyeColor": "BLUE"},
    )
    renamed = await update(gql, owner, created["id"], name="Beatrice", bodyType="SLIM")
    assert (renamed["name"], renamed["bodyType"], renamed["surname"]) == ("Beatrice", "SLIM", "Stone")
    assert renamed["slug"] == created["slug"]  # renames keep the slug
    assert renamed["updatedAt"] > created["updatedAt"]
    assert widths(renamed["dataImagesMedia"]) == [31, 32] and renamed["portraitImageMedia"]["width"] == 21
    assert renamed["measurements"] == created["measurements"]

    cleared = await update(gql, owner, created["id"], surname=None, ethnicity=None, portraitImage=None, dataImages=None)
    assert (cleared["surname"], cleared["ethnicity"], cleared["portraitImageUrl"]) == (None, None, None)
    assert (cleared["dataImagesMedia"], cleared["dataImageUrls"]) == ([], [])
    assert widths(cleared["portfolioImagesMedia"]) == [41]

    replaced = await update(
        gql, owner, created["id"], coverImage=image(61), portfolioImages=[image(43), image(42)], dataImages=[image(34)]
    )
    assert replaced["coverImageMedia"]["width"] == 61
    assert widths(replaced["portfolioImagesMedia"]) == [43, 42] and widths(replaced["dataImagesMedia"]) == [34]

    # Measurements: the given fields change, the others stay; null removes them; a new object creates them.
    partial = await update(gql, owner, created["id"], measurements={"heightCm": 172.5, "eyeColor": None})
    assert partial["measurements"]["id"] == created["measurements"]["id"]
    assert (partial["measurements"]["heightCm"], partial["measurements"]["eyeColor"]) == (172.5, None)
    assert (await update(gql, owner, created["id"], measurements=None))["measurements"] is None
    recreated = await update(gql, owner, created["id"], measurements={"shoeEu": 38})
    assert (recreated["measurements"]["shoeEu"], recreated["measurements"]["heightCm"]) == (38.0, None)

    error = await gql.error(
        "mutation($id: UUID!, $input: SubjectUpdate!) { updateSubject(id: $id, input: $input) { id } }",
        {
            "id": created["id"],
            "input": {
                "name": None,
                "ageClass": None,
                "public": None,
                "coverImage": None,
                "measurements": {"waistCm": -3},
                "surname": "s" * 256,
            },
        },
        as_=owner,
    )
    assert error["extensions"]["fields"] == {
        "input.name": "must not be null",
        "input.ageClass": "must not be null",
        "input.public": "must not be null",
        "input.surname": "must be at most 255 characters",
        "input.coverImage": "must not be null",
        "input.measurements.waistCm": "must be greater than 0",
    }
    too_many = await gql.error(
        "mutation($id: UUID!, $input: SubjectUpdate!) { updateSubject(id: $id, input: $input) { id } }",
        {"id": created["id"], "input": {"dataImages": [{"url": COVER}] * 51}},
        as_=owner,
    )
    assert too_many["extensions"]["fields"] == {"input.dataImages": "must contain at most 50 images per request"}


async def test_ready_needs_a_base_image(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)
    bare = await create(gql, owner)
    error = await gql.error(
        "mutation($id: UUID!) { updateSubject(id: $id, input: {ready: true}) { id } }", {"id": bare["id"]}, as_=owner
    )
    assert (error_code(error), error["extensions"]["fields"]) == (
        "BAD_USER_INPUT",
        {"input.ready": "a subject needs at least one base image to be ready"},
    )
    assert (await gql.data(GET, {"id": bare["id"]}, as_=owner))["subject"]["ready"] is False
    with_base = await create(gql, owner, baseImages=[{"imageUrl": COVER, "shotTypeId": shot["id"]}])
    assert with_base["ready"] is False  # never ready on its own: it is the owner's call
    assert (await update(gql, owner, with_base["id"], ready=True))["ready"] is True
    assert (await update(gql, owner, with_base["id"], ready=False))["ready"] is False


async def test_delete_and_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    subject = await create(gql, owner)
    assert (await gql.data(DELETE, {"id": subject["id"]}, as_=owner))["deleteSubject"]["message"]
    for who in (owner, admin):
        assert error_code(await gql.error(GET, {"id": subject["id"]}, as_=who)) == "NOT_FOUND"
    assert (await gql.data(LIST, {}, as_=owner))["subjects"]["count"] == 0
    assert error_code(await gql.error(DELETE, {"id": subject["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": subject["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": subject["id"]}, as_=admin))["restoreSubject"]
    assert restored == {"id": subject["id"], "slug": subject["slug"], "deletedAt": None}
    again = (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]
    assert again["coverImageUrl"] == subject["coverImageUrl"]  # its files were kept
    assert error_code(await gql.error(RESTORE, {"id": subject["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_fifty_concurrent_creates_with_one_name_get_fifty_slugs(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    first = await create(gql, owner)
    cover = {"mediaResourceId": first["coverImageMedia"]["id"]}  # no image decoding in the race itself
    name = unique("Crowd Model")
    query = "mutation($input: SubjectCreate!) { createSubject(input: $input) { id slug name } }"
    bodies = [{"name": name, "ageClass": "TEEN", "coverImage": cover}] * 50
    results = await asyncio.gather(*(gql(query, {"input": body}, as_=owner) for body in bodies))
    assert [result.get("errors") for result in results] == [None] * 50
    made = [result["data"]["createSubject"] for result in results]
    slugs = {subject["slug"] for subject in made}
    assert len(slugs) == 50 and len({subject["id"] for subject in made}) == 50
    base = name.lower().replace(" ", "-")
    assert base in slugs
    assert all(slug == base or slug.startswith(f"{base}-") for slug in slugs)
    assert (await gql.data(LIST, {"age": "TEEN", "limit": 100}, as_=owner))["subjects"]["count"] == 50
