"""Pose presets: CRUD, limits, the shot type reference, filters, visibility and the shot type loader."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_uri
from tests.statements import count_statements

FIELDS = """id name prompt shotTypeId ownerId organizationId createdAt updatedAt deletedAt
  shotType { id name } poseImageUrl poseImageMedia { id width height }"""
CREATE = f"""mutation($input: PosePresetCreate!, $org: UUID) {{
  createPosePreset(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: PosePresetUpdate!, $org: UUID) {{
  updatePosePreset(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ posePreset(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deletePosePreset(id: $id, organizationId: $org) { message } }"
RESTORE = "mutation($id: UUID!) { restorePosePreset(id: $id) { id deletedAt shotType { id } } }"
LIST = """query($org: UUID, $owner: UUID, $shot: UUID, $search: String, $skip: Int! = 0, $limit: Int! = 100) {
  posePresets(organizationId: $org, ownerId: $owner, shotTypeId: $shot, search: $search, skip: $skip,
    limit: $limit) { count data { id name shotType { id } } } }"""
CREATE_SHOT_TYPE = """mutation($input: ShotTypeCreate!, $org: UUID) {
  createShotType(input: $input, organizationId: $org) { id name } }"""
DELETE_SHOT_TYPE = "mutation($id: UUID!) { deleteShotType(id: $id) { message } }"
HIDDEN_SHOT_TYPE = {"input.shotTypeId": "no shot type you can see has this id"}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def make_organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Poses") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def make_shot_type(gql: GraphQLClient, account: Account, *, public: bool = False) -> dict[str, Any]:
    body = {"name": unique("shot"), "viewAngle": "FRONT", "framing": "FULL_BODY", "public": public}
    return (await gql.data(CREATE_SHOT_TYPE, {"input": body}, as_=account))["createShotType"]


async def create(
    gql: GraphQLClient, account: Account, shot_type_id: str, org: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"name": unique("pose"), "shotTypeId": shot_type_id, **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createPosePreset"]


async def test_create_with_a_pose_image_and_read_it_back(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)
    created = await create(
        gql, owner, shot["id"], name="Hands on hips", prompt="hands on hips", poseImage={"url": image_uri(width=64)}
    )
    assert (created["name"], created["prompt"]) == ("Hands on hips", "hands on hips")
    assert created["shotTypeId"] == shot["id"] and created["shotType"] == shot
    assert (created["ownerId"], created["organizationId"], created["deletedAt"]) == (str(owner.id), None, None)
    assert (created["poseImageMedia"]["width"], created["poseImageMedia"]["height"]) == (64, 30)
    image = await gql.http.get(created["poseImageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["posePreset"] == created
    # A public default shot type is visible to everyone, so anyone may point at it.
    default = await gql.data('query { shotTypeByName(name: "front_full_body") { id } }', as_=owner)
    on_default = await create(gql, owner, default["shotTypeByName"]["id"])
    assert on_default["shotType"]["id"] == default["shotTypeByName"]["id"]
    assert (on_default["poseImageUrl"], on_default["poseImageMedia"], on_default["prompt"]) == (None, None, None)


async def test_documented_limits_name_the_bad_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)
    too_long = await gql.error(CREATE, {"input": {"name": "x" * 256, "shotTypeId": shot["id"]}}, as_=owner)
    assert error_code(too_long) == "BAD_USER_INPUT"
    assert too_long["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    assert (await create(gql, owner, shot["id"], name="x" * 255))["name"] == "x" * 255
    not_an_image = {"name": "p", "shotTypeId": shot["id"], "poseImage": {"url": "data:text/plain;base64,aGVsbG8="}}
    error = await gql.error(CREATE, {"input": not_an_image}, as_=owner)
    assert error["extensions"]["fields"] == {"input.poseImage": "not an image"}
    both = {"name": "p", "shotTypeId": shot["id"], "poseImage": {"url": image_uri(), "mediaResourceId": shot["id"]}}
    error = await gql.error(CREATE, {"input": both}, as_=owner)
    assert error["extensions"]["fields"] == {"input.poseImage": "give exactly one of url or mediaResourceId"}
    blank = await gql.error(CREATE, {"input": {"name": "  ", "shotTypeId": shot["id"]}}, as_=owner)
    assert blank["extensions"]["fields"] == {"input.name": "must not be blank"}
    missing_shot = await gql.error(CREATE, {"input": {"name": "p"}}, as_=owner)
    assert "shotTypeId" in missing_shot["message"]
    assert (await gql.data(LIST, {}, as_=owner))["posePresets"]["count"] == 1


async def test_a_shot_type_you_cannot_see_is_refused_without_revealing_it(
    gql: GraphQLClient, accounts: Accounts
) -> None:
    owner, other = await accounts.user(), await accounts.user()
    hidden = await make_shot_type(gql, other)
    deleted = await make_shot_type(gql, owner)
    await gql.data(DELETE_SHOT_TYPE, {"id": deleted["id"]}, as_=owner)
    for shot_type_id in (hidden["id"], str(uuid.uuid4()), deleted["id"]):
        error = await gql.error(CREATE, {"input": {"name": "p", "shotTypeId": shot_type_id}}, as_=owner)
        assert error_code(error) == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == HIDDEN_SHOT_TYPE
        assert hidden["name"] not in error["message"]
    assert (await gql.data(LIST, {}, as_=owner))["posePresets"]["count"] == 0
    mine = await make_shot_type(gql, owner)
    preset = await create(gql, owner, mine["id"])
    error = await gql.error(UPDATE, {"id": preset["id"], "input": {"shotTypeId": hidden["id"]}}, as_=owner)
    assert error["extensions"]["fields"] == HIDDEN_SHOT_TYPE
    assert (await gql.data(GET, {"id": preset["id"]}, as_=owner))["posePreset"]["shotTypeId"] == mine["id"]
    # Once the other user shares it, it may be used.
    await gql.data(
        "mutation($id: UUID!) { updateShotType(id: $id, input: {public: true}) { id } }",
        {"id": hidden["id"]},
        as_=other,
    )
    moved = await gql.data(UPDATE, {"id": preset["id"], "input": {"shotTypeId": hidden["id"]}}, as_=owner)
    assert moved["updatePosePreset"]["shotType"] == hidden


async def test_shot_type_reads_null_once_deleted(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot = await make_shot_type(gql, owner)
    preset = await create(gql, owner, shot["id"])
    await gql.data(DELETE_SHOT_TYPE, {"id": shot["id"]}, as_=owner)
    fetched = (await gql.data(GET, {"id": preset["id"]}, as_=owner))["posePreset"]
    assert (fetched["shotTypeId"], fetched["shotType"]) == (shot["id"], None)


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    shot, other_shot = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    created = await create(gql, owner, shot["id"], prompt="arms crossed", poseImage={"url": image_uri()})
    renamed = (await gql.data(UPDATE, {"id": created["id"], "input": {"name": "Renamed"}}, as_=owner))[
        "updatePosePreset"
    ]
    assert renamed["name"] == "Renamed"
    assert (renamed["prompt"], renamed["shotTypeId"]) == ("arms crossed", shot["id"])
    assert renamed["poseImageMedia"] == created["poseImageMedia"]
    assert renamed["updatedAt"] > created["updatedAt"]
    changed = await gql.data(
        UPDATE,
        {"id": created["id"], "input": {"shotTypeId": other_shot["id"], "poseImage": {"url": image_uri(width=12)}}},
        as_=owner,
    )
    assert changed["updatePosePreset"]["shotType"] == other_shot
    assert changed["updatePosePreset"]["poseImageMedia"]["width"] == 12
    cleared = (await gql.data(UPDATE, {"id": created["id"], "input": {"prompt": None, "poseImage": None}}, as_=owner))[
        "updatePosePreset"
    ]
    assert (cleared["prompt"], cleared["poseImageMedia"], cleared["poseImageUrl"]) == (None, None, None)
    assert cleared["name"] == "Renamed"
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": None, "shotTypeId": None}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.name": "must not be null", "input.shotTypeId": "must not be null"}
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": "y" * 256}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}


async def test_visibility_between_users(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await make_organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    shot = await make_shot_type(gql, owner, public=True)
    private = await create(gql, owner, shot["id"])
    in_org = await create(gql, owner, shot["id"], org=org)
    assert in_org["organizationId"] == org

    for preset in (private, in_org):
        assert (await gql.data(GET, {"id": preset["id"]}, as_=admin))["posePreset"]["id"] == preset["id"]
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (
        (error_code(missing), missing["message"])
        == (error_code(hidden), hidden["message"])
        == ("NOT_FOUND", "Pose preset not found")
    )
    assert error_code(await gql.error(GET, {"id": in_org["id"]}, as_=stranger)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    stranger_update = await gql.error(UPDATE, {"id": private["id"], "input": {"name": "x"}}, as_=stranger)
    assert error_code(stranger_update) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    # Members see and edit the organization's presets, but only its owners delete them.
    assert (await gql.data(GET, {"id": in_org["id"], "org": org}, as_=member))["posePreset"]["id"] == in_org["id"]
    edited = await gql.data(UPDATE, {"id": in_org["id"], "input": {"prompt": "by member"}}, as_=member)
    assert edited["updatePosePreset"]["prompt"] == "by member"
    assert error_code(await gql.error(DELETE, {"id": in_org["id"]}, as_=member)) == "FORBIDDEN"
    # Lists: the organization's to its members only; personal ones to their owner.
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    member_list = (await gql.data(LIST, {"org": org}, as_=member))["posePresets"]
    assert member_list == {
        "count": 1,
        "data": [{"id": in_org["id"], "name": in_org["name"], "shotType": {"id": shot["id"]}}],
    }
    assert (await gql.data(LIST, {}, as_=owner))["posePresets"]["data"] == [
        {"id": private["id"], "name": private["name"], "shotType": {"id": shot["id"]}}
    ]
    assert (await gql.data(LIST, {}, as_=stranger))["posePresets"] == {"count": 0, "data": []}
    # The superuser edits anyone's.
    by_admin = await gql.data(UPDATE, {"id": private["id"], "input": {"name": "admin"}}, as_=admin)
    assert by_admin["updatePosePreset"]["name"] == "admin"
    assert (await gql.data(DELETE, {"id": in_org["id"], "org": org}, as_=owner))["deletePosePreset"]["message"]


async def test_creating_in_an_organization_or_for_another_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await make_organization(gql, owner)
    shot = await make_shot_type(gql, owner, public=True)
    body = {"name": "p", "shotTypeId": shot["id"]}
    assert error_code(await gql.error(CREATE, {"input": body, "org": org}, as_=stranger)) == "FORBIDDEN"
    on_behalf = {**body, "ownerId": str(owner.id)}
    assert error_code(await gql.error(CREATE, {"input": on_behalf}, as_=stranger)) == "FORBIDDEN"
    made = (await gql.data(CREATE, {"input": on_behalf}, as_=admin))["createPosePreset"]
    assert made["ownerId"] == str(owner.id)
    in_input = (await gql.data(CREATE, {"input": {**body, "organizationId": org}}, as_=owner))["createPosePreset"]
    assert in_input["organizationId"] == org


async def test_lists_filter_and_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    first, second = await make_shot_type(gql, owner), await make_shot_type(gql, owner)
    marker = uuid.uuid4().hex[:6]
    made = [
        await create(gql, owner, first["id"], name=f"{marker}-a"),
        await create(gql, owner, second["id"], name=f"{marker}-b", prompt="Leaning on a wall"),
        await create(gql, owner, second["id"], name=f"{marker}-c"),
    ]
    listed = (await gql.data(LIST, {}, as_=owner))["posePresets"]
    assert listed["count"] == 3
    assert [p["id"] for p in listed["data"]] == [p["id"] for p in made]  # ordered by name
    by_shot = (await gql.data(LIST, {"shot": second["id"]}, as_=owner))["posePresets"]
    assert (by_shot["count"], [p["name"] for p in by_shot["data"]]) == (2, [f"{marker}-b", f"{marker}-c"])
    by_prompt = (await gql.data(LIST, {"search": "WALL"}, as_=owner))["posePresets"]
    assert [p["name"] for p in by_prompt["data"]] == [f"{marker}-b"]
    by_name = (await gql.data(LIST, {"search": f"{marker}-C"}, as_=owner))["posePresets"]
    assert [p["name"] for p in by_name["data"]] == [f"{marker}-c"]
    literal = (await gql.data(LIST, {"search": "%"}, as_=owner))["posePresets"]
    assert literal["count"] == 0
    page = (await gql.data(LIST, {"skip": 1, "limit": 1}, as_=owner))["posePresets"]
    assert page["count"] == 3 and [p["name"] for p in page["data"]] == [f"{marker}-b"]
    error = await gql.error(LIST, {"limit": 0}, as_=owner)
    assert error["extensions"]["fields"] == {"limit": "must be between 1 and 1000"}
    # ownerId is a superuser's filter.
    assert error_code(await gql.error(LIST, {"owner": str(owner.id)}, as_=owner)) == "FORBIDDEN"
    owned = (await gql.data(LIST, {"owner": str(owner.id)}, as_=admin))["posePresets"]
    assert owned["count"] == 3 and {p["id"] for p in owned["data"]} == {p["id"] for p in made}


async def test_delete_and_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    shot = await make_shot_type(gql, owner)
    preset = await create(gql, owner, shot["id"])
    deleted = (await gql.data(DELETE, {"id": preset["id"]}, as_=owner))["deletePosePreset"]
    assert deleted == {"message": "Pose preset deleted successfully"}
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=admin)) == "NOT_FOUND"
    assert (await gql.data(LIST, {}, as_=owner))["posePresets"]["count"] == 0
    assert error_code(await gql.error(DELETE, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(UPDATE, {"id": preset["id"], "input": {"name": "z"}}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": preset["id"]}, as_=admin))["restorePosePreset"]
    assert restored == {"id": preset["id"], "deletedAt": None, "shotType": {"id": shot["id"]}}
    assert (await gql.data(GET, {"id": preset["id"]}, as_=owner))["posePreset"]["name"] == preset["name"]
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_shot_types_and_images_load_in_one_statement_each(
    gql: GraphQLClient, accounts: Accounts, app: Starlette
) -> None:
    owner = await accounts.user()
    shots = [await make_shot_type(gql, owner) for _ in range(3)]
    for index, shot in enumerate(shots):
        await create(gql, owner, shot["id"], poseImage={"url": image_uri(width=10 + index)})
    query = "query { posePresets { count data { shotType { id } poseImageMedia { width } poseImageUrl } } }"
    with count_statements(app) as seen_log:
        seen = seen_log.statements
        listed = (await gql.data(query, as_=owner))["posePresets"]
    assert listed["count"] == 3
    assert sorted(p["shotType"]["id"] for p in listed["data"]) == sorted(s["id"] for s in shots)
    assert sorted(p["poseImageMedia"]["width"] for p in listed["data"]) == [10, 11, 12]
    assert len([s for s in seen if "FROM shot_types" in s]) == 1
    assert len([s for s in seen if "FROM media_resources" in s]) == 1
