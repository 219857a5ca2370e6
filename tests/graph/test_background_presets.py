"""Background presets: per-framing images in order, full-replace updates, limits, lists, visibility, and the
framings and their images loaded in batches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_uri
from tests.statements import count_statements

FRAMING_FIELDS = "id framing imageUrl imageMedia { id width height } createdAt updatedAt"
FIELDS = f"""id name ownerId organizationId strategy coverImageUrl createdAt updatedAt deletedAt
  framings {{ {FRAMING_FIELDS} }}"""
CREATE = f"""mutation($input: BackgroundPresetCreate!, $org: UUID) {{
  createBackgroundPreset(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: BackgroundPresetUpdate!, $org: UUID) {{
  updateBackgroundPreset(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ backgroundPreset(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteBackgroundPreset(id: $id, organizationId: $org) { message } }"
RESTORE = "mutation($id: UUID!) { restoreBackgroundPreset(id: $id) { id name deletedAt framings { id } } }"
LIST = """query($org: UUID, $owner: UUID, $skip: Int! = 0, $limit: Int! = 100) {
  backgroundPresets(organizationId: $org, ownerId: $owner, skip: $skip, limit: $limit) {
    count data { id name } } }"""
LIST_NESTED = f"query {{ backgroundPresets {{ count data {{ {FIELDS} }} }} }}"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def framing(framing: str | None = None, **image: Any) -> dict[str, Any]:
    """A BackgroundPresetFramingCreate whose image is a fresh PNG of the given size and colour."""
    entry: dict[str, Any] = {"image": {"url": image_uri(**image)}}
    if framing is not None:
        entry["framing"] = framing
    return entry


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("bg"), "framings": [framing("FULL_BODY")], **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createBackgroundPreset"]


async def organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Studio") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def test_spec_example_creates_a_preset(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    # The documented example, with its https URL replaced by a data: URI (tests stay off the internet).
    example = {
        "framings": [{"image": {"url": image_uri(width=64, height=48, color=(250, 250, 250))}}],
        "name": "Studio White Background",
        "strategy": "DEFAULT",
    }
    created = (await gql.data(CREATE, {"input": example}, as_=owner))["createBackgroundPreset"]
    assert (created["name"], created["strategy"]) == ("Studio White Background", "DEFAULT")
    assert (created["ownerId"], created["organizationId"], created["deletedAt"]) == (str(owner.id), None, None)
    [only] = created["framings"]
    assert only["framing"] is None
    assert (only["imageMedia"]["width"], only["imageMedia"]["height"]) == (64, 48)
    assert created["coverImageUrl"] == only["imageUrl"]
    image = await gql.http.get(only["imageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    fetched = (await gql.data(GET, {"id": created["id"]}, as_=owner))["backgroundPreset"]
    assert fetched == created


async def test_strategy_defaults_to_default(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    assert (await create(gql, owner))["strategy"] == "DEFAULT"
    assert (await create(gql, owner, strategy="REPLACE"))["strategy"] == "REPLACE"


async def test_framings_keep_their_order(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    entries = [
        framing("CLOSE_UP", width=10, height=11),
        framing("FULL_BODY", width=20, height=21),
        framing(None, width=30, height=31),
        framing("HEADSHOT", width=40, height=41),
    ]
    created = await create(gql, owner, framings=entries)
    expected = [("CLOSE_UP", 10), ("FULL_BODY", 20), (None, 30), ("HEADSHOT", 40)]
    got = [(f["framing"], f["imageMedia"]["width"]) for f in created["framings"]]
    assert got == expected
    assert created["coverImageUrl"] == created["framings"][0]["imageUrl"]
    fetched = (await gql.data(GET, {"id": created["id"]}, as_=owner))["backgroundPreset"]
    assert [(f["framing"], f["imageMedia"]["width"]) for f in fetched["framings"]] == expected
    # The same image twice is stored once and may serve two framings.
    same = image_uri(width=12, height=12)
    twice = await create(gql, owner, framings=[{"image": {"url": same}}, {"framing": "DETAIL", "image": {"url": same}}])
    first, second = twice["framings"]
    assert first["imageMedia"]["id"] == second["imageMedia"]["id"]
    assert first["id"] != second["id"]


async def test_framing_images_can_name_earlier_uploads(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other = await accounts.user(), await accounts.user()
    earlier = await create(gql, owner, framings=[framing(width=33, height=22)])
    media = earlier["framings"][0]["imageMedia"]
    by_id = await create(gql, owner, framings=[{"framing": "UPPER_BODY", "image": {"mediaResourceId": media["id"]}}])
    assert by_id["framings"][0]["imageMedia"] == media
    by_url = await create(gql, owner, framings=[{"image": {"url": earlier["coverImageUrl"]}}])
    assert by_url["framings"][0]["imageMedia"]["id"] == media["id"]
    # Another user's upload id grants nothing.
    error = await gql.error(
        CREATE, {"input": {"name": "x", "framings": [{"image": {"mediaResourceId": media["id"]}}]}}, as_=other
    )
    assert error_code(error) == "NOT_FOUND"


async def test_documented_limits_name_the_bad_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    error = await gql.error(CREATE, {"input": {"name": "x" * 256, "framings": [framing()]}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    assert len((await create(gql, owner, name="n" * 255))["name"]) == 255
    error = await gql.error(CREATE, {"input": {"name": "empty", "framings": []}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.framings": "must contain at least 1 item"}
    neither = {"name": "neither", "framings": [framing(), {"framing": "DETAIL", "image": {}}]}
    error = await gql.error(CREATE, {"input": neither}, as_=owner)
    assert error["extensions"]["fields"] == {"input.framings.1.image": "give exactly one of url or mediaResourceId"}
    not_an_image = {"name": "text", "framings": [framing(), {"image": {"url": "data:text/plain;base64,aGVsbG8="}}]}
    error = await gql.error(CREATE, {"input": not_an_image}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.framings.1.image": "not an image"}
    plain_http = {"name": "http", "framings": [{"image": {"url": "http://example.com/white.jpg"}}]}
    error = await gql.error(CREATE, {"input": plain_http}, as_=owner)
    assert error["extensions"]["fields"]["input.framings.0.image"].startswith("must be an https URL")
    bad_enum = {"name": "enum", "framings": [framing()], "strategy": "SOMETIMES"}
    assert error_code(await gql.error(CREATE, {"input": bad_enum}, as_=owner)) == "BAD_USER_INPUT"
    # A refused create leaves nothing behind, even when its first image was already stored.
    listed = (await gql.data(LIST, {}, as_=owner))["backgroundPresets"]
    assert listed["count"] == 1 and len(listed["data"][0]["name"]) == 255


async def test_update_replaces_framings_only_when_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await create(gql, owner, framings=[framing("CLOSE_UP", width=15, height=15)])
    renamed = (await gql.data(UPDATE, {"id": created["id"], "input": {"name": "Renamed"}}, as_=owner))[
        "updateBackgroundPreset"
    ]
    assert renamed["name"] == "Renamed" and renamed["strategy"] == "DEFAULT"
    assert renamed["framings"] == created["framings"]
    unchanged = (await gql.data(UPDATE, {"id": created["id"], "input": {"framings": None}}, as_=owner))[
        "updateBackgroundPreset"
    ]
    assert unchanged["framings"] == created["framings"]
    # The documented update example, with data: URIs for its https URLs.
    example = {
        "framings": [framing("FULL_BODY", width=50, height=70), framing(None, width=60, height=40)],
        "name": "Updated Background Name",
        "strategy": "OVS",
    }
    replaced = (await gql.data(UPDATE, {"id": created["id"], "input": example}, as_=owner))["updateBackgroundPreset"]
    assert (replaced["name"], replaced["strategy"]) == ("Updated Background Name", "OVS")
    assert [(f["framing"], f["imageMedia"]["width"]) for f in replaced["framings"]] == [("FULL_BODY", 50), (None, 60)]
    assert created["framings"][0]["id"] not in {f["id"] for f in replaced["framings"]}
    assert replaced["coverImageUrl"] == replaced["framings"][0]["imageUrl"]
    assert datetime.fromisoformat(replaced["updatedAt"]) > datetime.fromisoformat(renamed["updatedAt"])
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["backgroundPreset"] == replaced
    cleared = (await gql.data(UPDATE, {"id": created["id"], "input": {"strategy": None}}, as_=owner))[
        "updateBackgroundPreset"
    ]
    assert cleared["strategy"] is None and cleared["framings"] == replaced["framings"]


async def test_update_limits(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await create(gql, owner)
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"framings": []}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.framings": "must contain at least 1 item"}
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": None, "ownerId": None}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must not be null", "input.ownerId": "must not be null"}
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": "x" * 256}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    bad_image = {"framings": [framing("FULL_BODY"), {"image": {"url": "data:image/png;base64,AAAA"}}]}
    error = await gql.error(UPDATE, {"id": created["id"], "input": bad_image}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT" and list(error["extensions"]["fields"]) == ["input.framings.1.image"]
    # None of the refused updates changed anything.
    assert (await gql.data(GET, {"id": created["id"]}, as_=owner))["backgroundPreset"] == created


async def test_visibility_between_users(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    private = await create(gql, owner)
    shared = await create(gql, owner, org=org)

    for preset in (private, shared):
        assert (await gql.data(GET, {"id": preset["id"]}, as_=admin))["backgroundPreset"]["id"] == preset["id"]
    # A stranger cannot tell a private preset from a missing one.
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (error_code(missing), missing["message"]) == (error_code(hidden), hidden["message"])
    assert (error_code(hidden), hidden["message"]) == ("NOT_FOUND", "Background preset not found")
    assert error_code(await gql.error(GET, {"id": shared["id"]}, as_=stranger)) == "NOT_FOUND"
    refused = await gql.error(UPDATE, {"id": private["id"], "input": {"framings": [framing()]}}, as_=stranger)
    assert error_code(refused) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    # The member sees and edits the organization's preset, not the owner's personal one.
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    seen = (await gql.data(GET, {"id": shared["id"], "org": org}, as_=member))["backgroundPreset"]
    assert seen["framings"] == shared["framings"]
    changed = (
        await gql.data(UPDATE, {"id": shared["id"], "input": {"framings": [framing("DETAIL")]}, "org": org}, as_=member)
    )["updateBackgroundPreset"]
    assert [f["framing"] for f in changed["framings"]] == ["DETAIL"]
    # Members may edit but only the organization's owners may delete.
    assert error_code(await gql.error(DELETE, {"id": shared["id"]}, as_=member)) == "FORBIDDEN"
    assert error_code(await gql.error(GET, {"id": shared["id"], "org": org}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    member_list = (await gql.data(LIST, {"org": org}, as_=member))["backgroundPresets"]
    assert member_list == {"count": 1, "data": [{"id": shared["id"], "name": shared["name"]}]}
    assert (await gql.data(DELETE, {"id": shared["id"], "org": org}, as_=owner))["deleteBackgroundPreset"] == {
        "message": "Background preset deleted successfully"
    }


async def test_creating_for_others_and_in_organizations(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await organization(gql, owner)
    body = {"name": unique("b"), "framings": [framing()]}
    assert error_code(await gql.error(CREATE, {"input": body, "org": org}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(CREATE, {"input": {**body, "organizationId": org}}, as_=stranger)) == (
        "FORBIDDEN"
    )
    for_other = {**body, "ownerId": str(owner.id)}
    assert error_code(await gql.error(CREATE, {"input": for_other}, as_=stranger)) == "FORBIDDEN"
    made = (await gql.data(CREATE, {"input": for_other}, as_=admin))["createBackgroundPreset"]
    assert made["ownerId"] == str(owner.id)
    assert (await gql.data(GET, {"id": made["id"]}, as_=owner))["backgroundPreset"]["framings"] == made["framings"]
    in_org = (await gql.data(CREATE, {"input": {**body, "organizationId": org}}, as_=owner))["createBackgroundPreset"]
    assert in_org["organizationId"] == org
    moved = (await gql.data(UPDATE, {"id": made["id"], "input": {"organizationId": org}}, as_=owner))[
        "updateBackgroundPreset"
    ]
    assert moved["organizationId"] == org
    give_away = {"id": made["id"], "input": {"ownerId": str(stranger.id)}}
    assert error_code(await gql.error(UPDATE, give_away, as_=owner)) == "FORBIDDEN"
    handed = (await gql.data(UPDATE, give_away, as_=admin))["updateBackgroundPreset"]
    assert handed["ownerId"] == str(stranger.id)


async def test_lists_filter_and_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await organization(gql, owner)
    names = [unique(f"{letter}-bg") for letter in "abc"]
    made = [await create(gql, owner, name=name) for name in reversed(names)]
    in_org = await create(gql, owner, org=org)
    await create(gql, other)
    personal = (await gql.data(LIST, {}, as_=owner))["backgroundPresets"]
    assert personal["count"] == 3
    assert [p["name"] for p in personal["data"]] == names  # ordered by name
    page = (await gql.data(LIST, {"skip": 2, "limit": 5}, as_=owner))["backgroundPresets"]
    assert page["count"] == 3 and [p["name"] for p in page["data"]] == [names[2]]
    org_list = (await gql.data(LIST, {"org": org}, as_=owner))["backgroundPresets"]
    assert org_list == {"count": 1, "data": [{"id": in_org["id"], "name": in_org["name"]}]}
    # ownerId narrows to that owner's presets, for superusers only.
    by_owner = (await gql.data(LIST, {"owner": str(owner.id)}, as_=admin))["backgroundPresets"]
    assert by_owner["count"] == 4
    assert {p["id"] for p in by_owner["data"]} == {p["id"] for p in [*made, in_org]}
    assert error_code(await gql.error(LIST, {"owner": str(owner.id)}, as_=owner)) == "FORBIDDEN"
    error = await gql.error(LIST, {"limit": 1001}, as_=owner)
    assert error["extensions"]["fields"] == {"limit": "must be between 1 and 1000"}


async def test_delete_and_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    preset = await create(gql, owner, framings=[framing("FULL_BODY"), framing("CLOSE_UP")])
    assert (await gql.data(DELETE, {"id": preset["id"]}, as_=owner))["deleteBackgroundPreset"]["message"]
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=admin)) == "NOT_FOUND"
    assert (await gql.data(LIST, {}, as_=owner))["backgroundPresets"]["count"] == 0
    assert error_code(await gql.error(DELETE, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": preset["id"]}, as_=admin))["restoreBackgroundPreset"]
    # Restoring brings the framings back with it.
    assert restored == {
        "id": preset["id"],
        "name": preset["name"],
        "deletedAt": None,
        "framings": [{"id": f["id"]} for f in preset["framings"]],
    }
    back = (await gql.data(GET, {"id": preset["id"]}, as_=owner))["backgroundPreset"]
    assert {**back, "updatedAt": None} == {**preset, "updatedAt": None}  # delete and restore are changes
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_framings_and_images_load_in_batches(gql: GraphQLClient, accounts: Accounts, app: Starlette) -> None:
    owner = await accounts.user()
    await create(gql, owner, framings=[framing("FULL_BODY", width=5, height=5), framing(width=6, height=6)])
    with count_statements(app) as few_log:
        few = few_log.statements
        one = (await gql.data(LIST_NESTED, as_=owner))["backgroundPresets"]
    for index in range(4):
        await create(gql, owner, framings=[framing(width=7 + index, height=7), framing("DETAIL", width=20, height=9)])
    with count_statements(app) as many_log:
        many = many_log.statements
        five = (await gql.data(LIST_NESTED, as_=owner))["backgroundPresets"]
    assert (one["count"], five["count"]) == (1, 5)
    assert sum(len(p["framings"]) for p in five["data"]) == 10
    assert all(p["coverImageUrl"] == p["framings"][0]["imageUrl"] for p in five["data"])
    # The same statements whatever the number of presets: one for all framings, and for all their images one
    # batch (plus one for the covers when coverImageUrl's lookup lands in a batch of its own).
    assert len(many) == len(few)
    assert sum("FROM background_preset_framings" in s for s in many) == 1
    media_reads = sum("FROM media_resources" in s for s in many)
    assert media_reads == sum("FROM media_resources" in s for s in few) and media_reads <= 2


async def test_anonymous_callers_are_refused(gql: GraphQLClient) -> None:
    assert error_code(await gql.error(LIST, {})) == "UNAUTHENTICATED"
    body = {"name": "x", "framings": [framing()]}
    assert error_code(await gql.error(CREATE, {"input": body})) == "UNAUTHENTICATED"
