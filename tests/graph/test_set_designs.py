"""Set designs: CRUD with their nested lists, references to subjects, shot types and background presets,
limits, filters, visibility and the nested loaders."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from db.base import utcnow
from db.models import BackgroundPreset, Subject
from db.models.enums import OrganizationRole, SubjectAgeClass
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_uri
from tests.statements import count_statements

NESTED = """baseImages { id subjectId shotTypeId variantIndex imageUrl imageMedia { width } createdAt updatedAt }
  referenceImages { id shotTypeId label imageUrl imageMedia { width } createdAt updatedAt }
  subjectPortraits { id subjectId imageUrl imageMedia { width } createdAt updatedAt }"""
FIELDS = f"""id name description backgroundPresetId ownerId organizationId createdAt updatedAt deletedAt {NESTED}"""
CREATE = f"""mutation($input: SetDesignCreate!, $org: UUID) {{
  createSetDesign(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: SetDesignUpdate!, $org: UUID) {{
  updateSetDesign(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ setDesign(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteSetDesign(id: $id, organizationId: $org) { message } }"
RESTORE = f"mutation($id: UUID!) {{ restoreSetDesign(id: $id) {{ {FIELDS} }} }}"
LIST = """query($org: UUID, $owner: UUID, $bg: UUID, $search: String, $skip: Int! = 0, $limit: Int! = 100) {
  setDesigns(organizationId: $org, ownerId: $owner, backgroundPresetId: $bg, search: $search, skip: $skip,
    limit: $limit) { count data { id name } } }"""
CREATE_SHOT_TYPE = "mutation($input: ShotTypeCreate!) { createShotType(input: $input) { id } }"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def image(width: int) -> dict[str, str]:
    return {"url": image_uri(width=width)}


async def make_organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Sets") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def make_shot_type(gql: GraphQLClient, account: Account) -> str:
    body = {"name": unique("shot"), "viewAngle": "FRONT", "framing": "FULL_BODY", "public": False}
    return str((await gql.data(CREATE_SHOT_TYPE, {"input": body}, as_=account))["createShotType"]["id"])


async def make_subject(
    session_factory: async_sessionmaker[AsyncSession], owner: Account, *, public: bool = False
) -> str:
    """Subjects have no GraphQL operations of ours, so they are made straight in the database."""
    name = unique("subject")
    async with session_factory() as session, session.begin():
        row = Subject(owner_id=owner.id, name=name, slug=name, age_class=SubjectAgeClass.ADULT, public=public)
        session.add(row)
        await session.flush()
        return str(row.id)


async def make_background_preset(session_factory: async_sessionmaker[AsyncSession], owner: Account) -> str:
    async with session_factory() as session, session.begin():
        row = BackgroundPreset(owner_id=owner.id, name=unique("background"))
        session.add(row)
        await session.flush()
        return str(row.id)


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("set"), **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createSetDesign"]


def widths(items: list[dict[str, Any]]) -> list[int]:
    return [item["imageMedia"]["width"] for item in items]


async def test_create_with_every_nested_list_in_input_order(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    alice, bob = await make_subject(session_factory, owner), await make_subject(session_factory, owner)
    front, back = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    background = await make_background_preset(session_factory, owner)
    base_images = [
        {"subjectId": bob, "shotTypeId": back, "variantIndex": 2, "image": image(31)},
        {"subjectId": alice, "shotTypeId": front, "image": image(32)},
        {"subjectId": alice, "shotTypeId": back, "variantIndex": 1, "image": image(33)},
    ]
    references = [
        {"shotTypeId": front, "label": "Light from the left", "image": image(41)},
        {"shotTypeId": back, "image": image(42)},
    ]
    portraits = [{"subjectId": bob, "image": image(51)}, {"subjectId": alice, "image": image(52)}]
    created = await create(
        gql,
        owner,
        name="Beach at noon",
        description="Warm, bright",
        backgroundPresetId=background,
        baseImages=base_images,
        referenceImages=references,
        subjectPortraits=portraits,
    )
    assert (created["name"], created["description"]) == ("Beach at noon", "Warm, bright")
    assert (created["backgroundPresetId"], created["ownerId"]) == (background, str(owner.id))
    assert (created["organizationId"], created["deletedAt"]) == (None, None)
    assert [(b["subjectId"], b["shotTypeId"], b["variantIndex"]) for b in created["baseImages"]] == [
        (bob, back, 2),
        (alice, front, 0),
        (alice, back, 1),
    ]
    assert widths(created["baseImages"]) == [31, 32, 33]
    assert [(r["shotTypeId"], r["label"]) for r in created["referenceImages"]] == [
        (front, "Light from the left"),
        (back, None),
    ]
    assert widths(created["referenceImages"]) == [41, 42]
    assert [p["subjectId"] for p in created["subjectPortraits"]] == [bob, alice]
    assert widths(created["subjectPortraits"]) == [51, 52]
    served = await gql.http.get(created["subjectPortraits"][0]["imageUrl"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["setDesign"] == created
    bare = await create(gql, owner)
    assert (bare["baseImages"], bare["referenceImages"], bare["subjectPortraits"]) == ([], [], [])
    assert (bare["description"], bare["backgroundPresetId"]) == (None, None)


async def test_documented_limits_name_the_bad_field(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    too_long = await gql.error(CREATE, {"input": {"name": "x" * 256}}, as_=owner)
    assert error_code(too_long) == "BAD_USER_INPUT"
    assert too_long["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    nested = {
        "name": "ok",
        "baseImages": [
            {"subjectId": subject, "shotTypeId": shot, "image": image(10)},
            {"subjectId": subject, "shotTypeId": shot, "variantIndex": -1, "image": image(10)},
        ],
        "referenceImages": [
            {"shotTypeId": shot, "label": "fine", "image": image(10)},
            {"shotTypeId": shot, "label": "l" * 256, "image": image(10)},
        ],
        "subjectPortraits": [{"subjectId": subject, "image": {}}],
    }
    error = await gql.error(CREATE, {"input": nested}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "input.baseImages.1.variantIndex": "must be 0 or more",
        "input.referenceImages.1.label": "must be at most 255 characters",
        "input.subjectPortraits.0.image": "give exactly one of url or mediaResourceId",
    }
    not_an_image = {
        "name": "ok",
        "referenceImages": [
            {"shotTypeId": shot, "image": image(10)},
            {"shotTypeId": shot, "image": {"url": "data:text/plain;base64,aGVsbG8="}},
        ],
    }
    error = await gql.error(CREATE, {"input": not_an_image}, as_=owner)
    assert error["extensions"]["fields"] == {"input.referenceImages.1.image": "not an image"}
    too_many = {"name": "ok", "subjectPortraits": [{"subjectId": subject, "image": image(10)}] * 101}
    error = await gql.error(CREATE, {"input": too_many}, as_=owner)
    assert error["extensions"]["fields"] == {"input.subjectPortraits": "must contain at most 100 items"}
    assert (await gql.data(LIST, {}, as_=owner))["setDesigns"]["count"] == 0
    # The limits hold: 255 characters and variant 0 are fine.
    edge = await create(
        gql,
        owner,
        name="n" * 255,
        baseImages=[{"subjectId": subject, "shotTypeId": shot, "variantIndex": 0, "image": image(10)}],
        referenceImages=[{"shotTypeId": shot, "label": "l" * 255, "image": image(10)}],
    )
    assert edge["name"] == "n" * 255 and edge["referenceImages"][0]["label"] == "l" * 255
    update_error = await gql.error(
        UPDATE, {"id": edge["id"], "input": {"name": None, "baseImages": None, "subjectPortraits": None}}, as_=owner
    )
    assert update_error["extensions"]["fields"] == {
        "input.name": "must not be null",
        "input.baseImages": "must not be null (give [] to empty it)",
        "input.subjectPortraits": "must not be null (give [] to empty it)",
    }
    label_error = await gql.error(
        UPDATE,
        {"id": edge["id"], "input": {"referenceImages": [{"shotTypeId": shot, "label": "l" * 256, "image": image(9)}]}},
        as_=owner,
    )
    assert label_error["extensions"]["fields"] == {"input.referenceImages.0.label": "must be at most 255 characters"}


async def test_references_you_cannot_see_are_refused_without_revealing_them(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, other = await accounts.user(), await accounts.user()
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    hidden_subject = await make_subject(session_factory, other)
    hidden_shot = await make_shot_type(gql, other)
    hidden_background = await make_background_preset(session_factory, other)
    body = {
        "name": "Hidden things",
        "backgroundPresetId": hidden_background,
        "baseImages": [
            {"subjectId": subject, "shotTypeId": shot, "image": image(10)},
            {"subjectId": hidden_subject, "shotTypeId": hidden_shot, "image": image(10)},
        ],
        "referenceImages": [{"shotTypeId": hidden_shot, "image": image(10)}],
        "subjectPortraits": [
            {"subjectId": subject, "image": image(10)},
            {"subjectId": hidden_subject, "image": image(10)},
        ],
    }
    error = await gql.error(CREATE, {"input": body}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    expected = {
        "input.backgroundPresetId": "no background preset you can see has this id",
        "input.baseImages.1.subjectId": "no subject you can see has this id",
        "input.baseImages.1.shotTypeId": "no shot type you can see has this id",
        "input.referenceImages.0.shotTypeId": "no shot type you can see has this id",
        "input.subjectPortraits.1.subjectId": "no subject you can see has this id",
    }
    assert error["extensions"]["fields"] == expected
    # Ids that name nothing read exactly the same.
    missing = {
        **body,
        "backgroundPresetId": str(uuid.uuid4()),
        "baseImages": [body["baseImages"][0], {"subjectId": str(uuid.uuid4()), "shotTypeId": str(uuid.uuid4()),
                                                "image": image(10)}],
        "referenceImages": [{"shotTypeId": str(uuid.uuid4()), "image": image(10)}],
        "subjectPortraits": [body["subjectPortraits"][0], {"subjectId": str(uuid.uuid4()), "image": image(10)}],
    }  # fmt: skip
    assert (await gql.error(CREATE, {"input": missing}, as_=owner))["extensions"]["fields"] == expected
    assert (await gql.data(LIST, {}, as_=owner))["setDesigns"]["count"] == 0
    # The same on update, and nothing changes.
    design = await create(gql, owner, baseImages=[body["baseImages"][0]])
    error = await gql.error(
        UPDATE,
        {"id": design["id"], "input": {"name": "changed", "backgroundPresetId": hidden_background,
                                      "subjectPortraits": [{"subjectId": hidden_subject, "image": image(10)}]}},
        as_=owner,
    )  # fmt: skip
    assert error["extensions"]["fields"] == {
        "input.backgroundPresetId": "no background preset you can see has this id",
        "input.subjectPortraits.0.subjectId": "no subject you can see has this id",
    }
    assert (await gql.data(GET, {"id": design["id"]}, as_=owner))["setDesign"] == design
    # A deleted subject is no longer a valid reference; a public one of another user is.
    async with session_factory() as session, session.begin():
        row = await session.get(Subject, uuid.UUID(subject))
        assert row is not None
        row.deleted_at = row.created_at
    shared = await make_subject(session_factory, other, public=True)
    error = await gql.error(
        UPDATE, {"id": design["id"], "input": {"subjectPortraits": [{"subjectId": subject, "image": image(10)}]}},
        as_=owner,
    )  # fmt: skip
    assert error["extensions"]["fields"] == {"input.subjectPortraits.0.subjectId": "no subject you can see has this id"}
    ok = await gql.data(
        UPDATE, {"id": design["id"], "input": {"subjectPortraits": [{"subjectId": shared, "image": image(10)}]}},
        as_=owner,
    )  # fmt: skip
    assert [p["subjectId"] for p in ok["updateSetDesign"]["subjectPortraits"]] == [shared]


async def test_update_replaces_only_the_lists_given(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    background = await make_background_preset(session_factory, owner)
    created = await create(
        gql,
        owner,
        description="first",
        backgroundPresetId=background,
        baseImages=[{"subjectId": subject, "shotTypeId": shot, "image": image(11)}],
        referenceImages=[{"shotTypeId": shot, "label": "a", "image": image(12)}],
        subjectPortraits=[{"subjectId": subject, "image": image(13)}],
    )
    # Only the name: every list stays.
    renamed = (await gql.data(UPDATE, {"id": created["id"], "input": {"name": "Renamed"}}, as_=owner))[
        "updateSetDesign"
    ]
    assert renamed["name"] == "Renamed" and renamed["description"] == "first"
    for field in ("baseImages", "referenceImages", "subjectPortraits"):
        assert renamed[field] == created[field]
    # Replacing the base images leaves the other two lists alone.
    new_base = [
        {"subjectId": subject, "shotTypeId": shot, "variantIndex": 3, "image": image(21)},
        {"subjectId": subject, "shotTypeId": shot, "variantIndex": 1, "image": image(22)},
    ]
    replaced = (await gql.data(UPDATE, {"id": created["id"], "input": {"baseImages": new_base}}, as_=owner))[
        "updateSetDesign"
    ]
    assert [b["variantIndex"] for b in replaced["baseImages"]] == [3, 1]
    assert widths(replaced["baseImages"]) == [21, 22]
    assert created["baseImages"][0]["id"] not in {b["id"] for b in replaced["baseImages"]}
    assert replaced["referenceImages"] == created["referenceImages"]
    assert replaced["subjectPortraits"] == created["subjectPortraits"]
    assert replaced["updatedAt"] > renamed["updatedAt"]
    # Replacing the reference images keeps the new base images; [] empties the portraits.
    again = await gql.data(
        UPDATE,
        {
            "id": created["id"],
            "input": {
                "referenceImages": [
                    {"shotTypeId": shot, "label": "second", "image": image(32)},
                    {"shotTypeId": shot, "label": "first", "image": image(31)},
                ],
                "subjectPortraits": [],
            },
        },
        as_=owner,
    )
    after = again["updateSetDesign"]
    assert [r["label"] for r in after["referenceImages"]] == ["second", "first"]
    assert after["subjectPortraits"] == [] and after["baseImages"] == replaced["baseImages"]
    # null clears the nullable columns.
    cleared = (
        await gql.data(
            UPDATE, {"id": created["id"], "input": {"description": None, "backgroundPresetId": None}}, as_=owner
        )
    )["updateSetDesign"]
    assert (cleared["description"], cleared["backgroundPresetId"], cleared["name"]) == (None, None, "Renamed")
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["setDesign"] == cleared


async def test_visibility_between_users(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    private = await create(gql, owner)
    in_org = await create(gql, owner, org=org)
    assert in_org["organizationId"] == org
    for design in (private, in_org):
        assert (await gql.data(GET, {"id": design["id"]}, as_=admin))["setDesign"]["id"] == design["id"]
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (
        (error_code(missing), missing["message"])
        == (error_code(hidden), hidden["message"])
        == ("NOT_FOUND", "Set design not found")
    )
    assert error_code(await gql.error(GET, {"id": in_org["id"]}, as_=stranger)) == "NOT_FOUND"
    stranger_update = await gql.error(UPDATE, {"id": private["id"], "input": {"name": "x"}}, as_=stranger)
    assert error_code(stranger_update) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    # Members read and edit the organization's set designs with their own subjects; only owners delete.
    member_subject = await make_subject(session_factory, member)
    edited = await gql.data(
        UPDATE,
        {"id": in_org["id"], "input": {"subjectPortraits": [{"subjectId": member_subject, "image": image(14)}]}},
        as_=member,
    )
    assert [p["subjectId"] for p in edited["updateSetDesign"]["subjectPortraits"]] == [member_subject]
    assert (await gql.data(GET, {"id": in_org["id"], "org": org}, as_=member))["setDesign"] == edited["updateSetDesign"]
    assert error_code(await gql.error(DELETE, {"id": in_org["id"]}, as_=member)) == "FORBIDDEN"
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    # Lists.
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    assert (await gql.data(LIST, {"org": org}, as_=member))["setDesigns"] == {
        "count": 1,
        "data": [{"id": in_org["id"], "name": in_org["name"]}],
    }
    assert (await gql.data(LIST, {}, as_=owner))["setDesigns"]["data"] == [
        {"id": private["id"], "name": private["name"]}
    ]
    assert (await gql.data(LIST, {}, as_=stranger))["setDesigns"] == {"count": 0, "data": []}
    # Creating in an organization needs membership; for another owner, a superuser.
    assert error_code(await gql.error(CREATE, {"input": {"name": "x"}, "org": org}, as_=stranger)) == "FORBIDDEN"
    on_behalf = {"name": "x", "ownerId": str(owner.id)}
    assert error_code(await gql.error(CREATE, {"input": on_behalf}, as_=stranger)) == "FORBIDDEN"
    assert (await gql.data(CREATE, {"input": on_behalf}, as_=admin))["createSetDesign"]["ownerId"] == str(owner.id)
    assert (await gql.data(DELETE, {"id": in_org["id"], "org": org}, as_=owner))["deleteSetDesign"]["message"]


async def test_lists_filter_and_count(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    background = await make_background_preset(session_factory, owner)
    marker = uuid.uuid4().hex[:6]
    made = [
        await create(gql, owner, name=f"{marker}-a", backgroundPresetId=background),
        await create(gql, owner, name=f"{marker}-b", description="A studio with neon lights"),
        await create(gql, owner, name=f"{marker}-c", backgroundPresetId=background),
    ]
    listed = (await gql.data(LIST, {}, as_=owner))["setDesigns"]
    assert listed["count"] == 3 and [d["id"] for d in listed["data"]] == [d["id"] for d in made]
    by_background = (await gql.data(LIST, {"bg": background}, as_=owner))["setDesigns"]
    assert [d["name"] for d in by_background["data"]] == [f"{marker}-a", f"{marker}-c"]
    by_description = (await gql.data(LIST, {"search": "NEON"}, as_=owner))["setDesigns"]
    assert (by_description["count"], by_description["data"][0]["name"]) == (1, f"{marker}-b")
    page = (await gql.data(LIST, {"skip": 2, "limit": 1}, as_=owner))["setDesigns"]
    assert page["count"] == 3 and [d["name"] for d in page["data"]] == [f"{marker}-c"]
    error = await gql.error(LIST, {"skip": -1}, as_=owner)
    assert error["extensions"]["fields"] == {"skip": "must be 0 or more"}
    assert error_code(await gql.error(LIST, {"owner": str(owner.id)}, as_=owner)) == "FORBIDDEN"
    owned = (await gql.data(LIST, {"owner": str(owner.id)}, as_=admin))["setDesigns"]
    assert owned["count"] == 3 and {d["id"] for d in owned["data"]} == {d["id"] for d in made}


async def test_delete_and_restore_bring_the_nested_lists_back(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    design = await create(
        gql,
        owner,
        baseImages=[{"subjectId": subject, "shotTypeId": shot, "image": image(15)}],
        subjectPortraits=[{"subjectId": subject, "image": image(16)}],
    )
    assert (await gql.data(DELETE, {"id": design["id"]}, as_=owner))["deleteSetDesign"] == {
        "message": "Set design deleted successfully"
    }
    assert error_code(await gql.error(GET, {"id": design["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": design["id"]}, as_=admin)) == "NOT_FOUND"
    assert (await gql.data(LIST, {}, as_=owner))["setDesigns"]["count"] == 0
    assert error_code(await gql.error(UPDATE, {"id": design["id"], "input": {"name": "z"}}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": design["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": design["id"]}, as_=admin))["restoreSetDesign"]
    assert restored["deletedAt"] is None
    assert (restored["baseImages"], restored["subjectPortraits"]) == (design["baseImages"], design["subjectPortraits"])
    assert (await gql.data(GET, {"id": design["id"]}, as_=owner))["setDesign"]["id"] == design["id"]
    assert error_code(await gql.error(RESTORE, {"id": design["id"]}, as_=admin)) == "CONFLICT"


async def test_nested_lists_load_in_one_statement_each(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession], app: Starlette
) -> None:
    owner = await accounts.user()
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    for index in range(3):
        await create(
            gql,
            owner,
            baseImages=[{"subjectId": subject, "shotTypeId": shot, "variantIndex": index, "image": image(20 + index)}],
            referenceImages=[{"shotTypeId": shot, "label": str(index), "image": image(30 + index)}],
            subjectPortraits=[{"subjectId": subject, "image": image(40 + index)}],
        )
    query = f"query {{ setDesigns {{ count data {{ {NESTED} }} }} }}"
    with count_statements(app) as seen_log:
        seen = seen_log.statements
        listed = (await gql.data(query, as_=owner))["setDesigns"]
    assert listed["count"] == 3
    assert sorted(w for d in listed["data"] for w in widths(d["baseImages"])) == [20, 21, 22]
    assert sorted(r["label"] for d in listed["data"] for r in d["referenceImages"]) == ["0", "1", "2"]
    assert sorted(w for d in listed["data"] for w in widths(d["subjectPortraits"])) == [40, 41, 42]
    for table in ("set_base_images", "set_reference_images", "set_subject_portraits"):
        assert len([s for s in seen if f"FROM {table}" in s]) == 1, table
    # Images: at most one batch per nested list (each list arrives on its own), never one per design or item.
    assert len([s for s in seen if "FROM media_resources" in s]) <= 3


LINKED = """query($id: UUID!) { setDesign(id: $id) { backgroundPreset { id name }
  baseImages { subject { id name } shotType { id name } } referenceImages { shotType { id } }
  subjectPortraits { subject { id } } } }"""


async def test_linked_objects_appear_while_visible_and_come_back_when_restored(
    gql: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    subject, shot = await make_subject(session_factory, owner), await make_shot_type(gql, owner)
    preset = await make_background_preset(session_factory, owner)
    design = await create(
        gql,
        owner,
        backgroundPresetId=preset,
        baseImages=[{"subjectId": subject, "shotTypeId": shot, "image": image(21)}],
        referenceImages=[{"shotTypeId": shot, "image": image(22)}],
        subjectPortraits=[{"subjectId": subject, "image": image(23)}],
    )

    async def linked() -> dict[str, Any]:
        answer: dict[str, Any] = (await gql.data(LINKED, {"id": design["id"]}, as_=owner))["setDesign"]
        return answer

    shown = await linked()
    assert shown["backgroundPreset"]["id"] == preset
    assert shown["baseImages"][0]["subject"]["id"] == subject and shown["baseImages"][0]["shotType"]["id"] == shot
    assert shown["referenceImages"][0]["shotType"]["id"] == shot
    assert shown["subjectPortraits"][0]["subject"]["id"] == subject

    async def set_deleted(model: Any, row_id: str, deleted: bool) -> None:
        async with session_factory() as session, session.begin():
            row = await session.get(model, uuid.UUID(row_id))
            row.deleted_at = utcnow() if deleted else None

    await set_deleted(Subject, subject, True)
    await set_deleted(BackgroundPreset, preset, True)
    hidden = await linked()
    assert hidden["backgroundPreset"] is None
    assert hidden["baseImages"][0]["subject"] is None and hidden["subjectPortraits"][0]["subject"] is None
    assert hidden["baseImages"][0]["shotType"]["id"] == shot  # the image and its other links stay

    await set_deleted(Subject, subject, False)
    await set_deleted(BackgroundPreset, preset, False)
    assert await linked() == shown
