"""Subjects' base images: add (one per shot type, replacing), list with the shot type filter, delete by URL with
its stored file removed exactly when nothing else uses it, and the media reference check behind that."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core.storage import Storage
from db.models import MediaResource
from db.models.enums import OrganizationRole
from services.media_gc import media_in_use, media_reference_columns, release_media
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.graph.subjects_common import (
    ADD_BASE_IMAGE,
    BASE_IMAGE,
    BASE_IMAGES,
    COPY,
    DELETE_BASE_IMAGE,
    GET,
    add_base_image,
    create,
    fresh_image_uri,
    make_organization,
    make_shot_type,
    update,
)
from tests.images import image_uri

SUBJECT_AND_PAGE = f"""query($id: UUID!, $org: UUID) {{
  subject(id: $id, organizationId: $org) {{ baseImages {{ {BASE_IMAGE} }} }}
  subjects(organizationId: $org) {{ data {{ id baseImages {{ {BASE_IMAGE} }} }} }} }}"""


def storage_of(app: Starlette) -> Storage:
    storage: Storage = app.state.resources.storage
    return storage


async def stored(app: Starlette, url: str) -> bool:
    storage = storage_of(app)
    key = storage.key_from_url(url, app.state.resources.settings.public_base_url)
    assert key is not None
    return await storage.exists(key)


async def test_add_list_and_replace(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    front, back = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    subject = await create(gql, owner)
    first = await add_base_image(gql, owner, subject["id"], front["id"], fresh_image_uri(20))
    assert first["id"] == subject["id"] and first["updatedAt"] > subject["updatedAt"]
    assert [(b["shotTypeId"], b["shotTypeLabel"]) for b in first["baseImages"]] == [(front["id"], front["name"])]
    both = await add_base_image(gql, owner, subject["id"], back["id"], fresh_image_uri(21))
    assert [b["shotTypeId"] for b in both["baseImages"]] == [front["id"], back["id"]]

    listed = (await gql.data(BASE_IMAGES, {"id": subject["id"]}, as_=owner))["subjectBaseImages"]["data"]
    assert listed == both["baseImages"]
    only_back = await gql.data(BASE_IMAGES, {"id": subject["id"], "shot": back["id"]}, as_=owner)
    assert only_back["subjectBaseImages"]["data"] == [both["baseImages"][1]]
    none = await gql.data(BASE_IMAGES, {"id": subject["id"], "shot": str(uuid.uuid4())}, as_=owner)
    assert none["subjectBaseImages"]["data"] == []

    # A new image for a shot type replaces the old one, whose file goes with it.
    old_url = both["baseImages"][0]["imageUrl"]
    replaced = await add_base_image(gql, owner, subject["id"], front["id"], fresh_image_uri(22))
    assert [b["shotTypeId"] for b in replaced["baseImages"]] == [front["id"], back["id"]]
    assert replaced["baseImages"][0]["imageUrl"] != old_url
    fetched = (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]
    assert [b["imageUrl"] for b in fetched["baseImages"]] == [b["imageUrl"] for b in replaced["baseImages"]]
    assert (await gql.http.get(old_url)).status_code == 404
    # Adding the same image again changes nothing.
    same = await add_base_image(gql, owner, subject["id"], front["id"], replaced["baseImages"][0]["imageUrl"])
    assert same["baseImages"] == replaced["baseImages"]


async def test_add_checks_input_and_access(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger = await accounts.user(), await accounts.user(), await accounts.user()
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    shot = await make_shot_type(gql, owner)
    public_shot = await make_shot_type(gql, stranger, public=True)
    hidden_shot = await make_shot_type(gql, stranger)
    private, in_org, public = (
        await create(gql, owner),
        await create(gql, owner, org=org),
        await create(gql, owner, public=True),
    )

    def variables(subject_id: str, shot_type_id: str, url: str = image_uri(), org_id: str | None = None) -> dict:
        return {"id": subject_id, "input": {"imageUrl": url, "shotTypeId": shot_type_id}, "org": org_id}

    for shot_type_id in (hidden_shot["id"], str(uuid.uuid4())):
        error = await gql.error(ADD_BASE_IMAGE, variables(private["id"], shot_type_id), as_=owner)
        assert (error_code(error), error["extensions"]["fields"]) == (
            "BAD_USER_INPUT",
            {"input.shotTypeId": "no shot type you can see has this id"},
        )
    blank = await gql.error(ADD_BASE_IMAGE, variables(private["id"], shot["id"], url=" "), as_=owner)
    assert blank["extensions"]["fields"] == {"input.imageUrl": "must not be blank"}
    not_image = await gql.error(
        ADD_BASE_IMAGE, variables(private["id"], shot["id"], url="data:text/plain;base64,aGVsbG8="), as_=owner
    )
    assert not_image["extensions"]["fields"] == {"input.imageUrl": "not an image"}
    # A public shot type of someone else's may be used.
    used = await gql.data(ADD_BASE_IMAGE, variables(private["id"], public_shot["id"]), as_=owner)
    assert used["addSubjectBaseImage"]["shotTypeLabel"] == public_shot["name"]

    assert error_code(await gql.error(ADD_BASE_IMAGE, variables(private["id"], shot["id"]), as_=stranger)) == (
        "NOT_FOUND"
    )
    assert error_code(await gql.error(ADD_BASE_IMAGE, variables(public["id"], shot["id"]), as_=stranger)) == (
        "FORBIDDEN"
    )
    assert error_code(await gql.error(BASE_IMAGES, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    assert (await gql.data(BASE_IMAGES, {"id": public["id"]}, as_=stranger))["subjectBaseImages"]["data"] == []
    # Organization members add base images to the organization's subjects (with the shot types they can see).
    member_shot = await make_shot_type(gql, member)
    added = await gql.data(ADD_BASE_IMAGE, variables(in_org["id"], member_shot["id"], org_id=org), as_=member)
    base_images = [added["addSubjectBaseImage"]]
    assert [b["shotTypeId"] for b in base_images] == [member_shot["id"]]
    # The owner sees the label, though not the member's private shot type itself.
    seen_by_owner = (await gql.data(BASE_IMAGES, {"id": in_org["id"], "org": org}, as_=owner))["subjectBaseImages"]
    assert seen_by_owner["data"][0]["shotTypeLabel"] == member_shot["name"]
    assert seen_by_owner["data"][0]["shotType"] is None
    # The same through the subject's own row (by id, and in a page of subjects), which brings its base images.
    in_rows = await gql.data(SUBJECT_AND_PAGE, {"id": in_org["id"], "org": org}, as_=owner)
    listed = {row["id"]: row for row in in_rows["subjects"]["data"]}
    for subject in (in_rows["subject"], listed[in_org["id"]]):
        assert subject["baseImages"] == seen_by_owner["data"], subject["baseImages"]
    delete = {"id": in_org["id"], "url": base_images[0]["imageUrl"]}
    assert error_code(await gql.error(DELETE_BASE_IMAGE, delete, as_=stranger)) == "NOT_FOUND"
    assert (await gql.data(DELETE_BASE_IMAGE, delete, as_=member))["deleteSubjectBaseImage"]["message"]


async def test_delete_removes_the_file_when_nothing_else_uses_it(
    gql: GraphQLClient, accounts: Accounts, app: Starlette
) -> None:
    owner, other, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    shot = await make_shot_type(gql, owner, public=True)
    lonely_uri = fresh_image_uri(71)
    shared_uri = fresh_image_uri(72)
    subject = await create(gql, owner)
    lonely = await add_base_image(gql, owner, subject["id"], shot["id"], lonely_uri)
    lonely_url = lonely["baseImages"][0]["imageUrl"]
    assert await stored(app, lonely_url)
    # Another user's subject with the same content: another media row, the same stored file.
    elsewhere = await create(gql, other)
    await add_base_image(gql, other, elsewhere["id"], shot["id"], shared_uri)
    second_shot = await make_shot_type(gql, owner)
    shared = await add_base_image(gql, owner, subject["id"], second_shot["id"], shared_uri)
    shared_url = shared["baseImages"][1]["imageUrl"]
    await update(gql, owner, subject["id"], ready=True)

    missing = await gql.error(DELETE_BASE_IMAGE, {"id": subject["id"], "url": "/media/nothing.png"}, as_=owner)
    assert (error_code(missing), missing["message"]) == ("NOT_FOUND", "Base image not found")
    not_ours = await gql.error(DELETE_BASE_IMAGE, {"id": elsewhere["id"], "url": lonely_url}, as_=admin)
    assert error_code(not_ours) == "NOT_FOUND"

    done = await gql.data(DELETE_BASE_IMAGE, {"id": subject["id"], "url": lonely_url}, as_=owner)
    assert done["deleteSubjectBaseImage"]["message"] == "Base image deleted successfully"
    assert not await stored(app, lonely_url)
    assert (await gql.http.get(lonely_url)).status_code == 404
    assert (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]["ready"] is True

    await gql.data(DELETE_BASE_IMAGE, {"id": subject["id"], "url": shared_url}, as_=owner)
    assert await stored(app, shared_url)  # the other subject still uses this content
    assert (await gql.http.get(shared_url)).status_code == 200
    after = (await gql.data(GET, {"id": subject["id"]}, as_=owner))["subject"]
    assert (after["baseImages"], after["ready"]) == ([], False)  # the last one gone, it is no longer ready
    again = await gql.error(DELETE_BASE_IMAGE, {"id": subject["id"], "url": shared_url}, as_=owner)
    assert error_code(again) == "NOT_FOUND"
    # The cover (the same picture as every subject of these tests) was never touched.
    assert await stored(app, after["coverImageUrl"])


async def test_a_copy_keeps_shared_files_alive(gql: GraphQLClient, accounts: Accounts, app: Starlette) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    shot = await make_shot_type(gql, owner)
    source = await create(gql, owner)
    added = await add_base_image(gql, owner, source["id"], shot["id"], fresh_image_uri(81))
    url = added["baseImages"][0]["imageUrl"]
    copy = (await gql.data(COPY, {"id": source["id"]}, as_=admin))["copySubject"]
    await gql.data(DELETE_BASE_IMAGE, {"id": source["id"], "url": url}, as_=owner)
    assert await stored(app, url)  # the copy links the same media row
    assert [b["imageUrl"] for b in (await gql.data(GET, {"id": copy["id"]}, as_=owner))["subject"]["baseImages"]] == [
        url
    ]
    await gql.data(DELETE_BASE_IMAGE, {"id": copy["id"], "url": url}, as_=owner)
    assert not await stored(app, url)


async def test_media_references_come_from_every_foreign_key(
    gql: GraphQLClient, accounts: Accounts, app: Starlette, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    names = {f"{column.table.name}.{column.name}" for column in media_reference_columns()}
    assert {
        "subjects.cover_image_media_id",
        "subjects.portrait_image_media_id",
        "subject_base_images.media_id",
        "subject_data_images.media_id",
        "subject_portfolio_images.media_id",
        "shot_types.reference_image_media_id",
        "pose_presets.pose_image_media_id",
    } <= names
    owner = await accounts.user()
    cover_id = uuid.UUID((await create(gql, owner))["coverImageMedia"]["id"])
    storage = storage_of(app)
    key = await storage.store_bytes(b"not really an image, only bytes to delete", extension="png")
    async with session_factory() as session, session.begin():
        media = MediaResource(
            owner_id=owner.id, storage_key=key, content_hash="0" * 64, file_size=1, extension="png",
            mime_type="image/png", protected=True,
        )  # fmt: skip
        session.add(media)
        await session.flush()
        assert not await media_in_use(session, media.id)
        assert await media_in_use(session, cover_id)
        assert await release_media(session, storage, [cover_id]) == []
        assert await session.get(MediaResource, cover_id) is not None
        # A protected row is kept even when nothing references it.
        assert await release_media(session, storage, [media.id]) == []
        media.protected = False
        assert await release_media(session, storage, [media.id, uuid.uuid4()]) == [key]
        assert await session.get(MediaResource, media.id) is None
    await storage.delete(key)
    assert not await storage.exists(key)
