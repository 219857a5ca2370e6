"""Resolution presets: CRUD, the documented limits, update semantics, lists and visibility between users."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code

FIELDS = "id name width height ownerId organizationId createdAt updatedAt deletedAt"
CREATE = f"""mutation($input: ResolutionPresetCreate!, $org: UUID) {{
  createResolutionPreset(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: UUID!, $input: ResolutionPresetUpdate!, $org: UUID) {{
  updateResolutionPreset(id: $id, input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
GET = f"query($id: UUID!, $org: UUID) {{ resolutionPreset(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!, $org: UUID) { deleteResolutionPreset(id: $id, organizationId: $org) { message } }"
RESTORE = "mutation($id: UUID!) { restoreResolutionPreset(id: $id) { id name deletedAt } }"
LIST = """query($org: UUID, $owner: UUID, $skip: Int! = 0, $limit: Int! = 100) {
  resolutionPresets(organizationId: $org, ownerId: $owner, skip: $skip, limit: $limit) {
    count data { id name width height } } }"""


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("res"), "width": 1024, "height": 768, **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createResolutionPreset"]


async def organization(gql: GraphQLClient, owner: Account) -> str:
    made = await gql.data('mutation { createOrganization(name: "Studio") { id } }', as_=owner)
    return str(made["createOrganization"]["id"])


async def test_spec_example_creates_a_preset(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = (await gql.data(CREATE, {"input": {"height": 1080, "name": "Full HD", "width": 1920}}, as_=owner))[
        "createResolutionPreset"
    ]
    assert (created["name"], created["width"], created["height"]) == ("Full HD", 1920, 1080)
    assert (created["ownerId"], created["organizationId"], created["deletedAt"]) == (str(owner.id), None, None)
    assert created["createdAt"] and created["updatedAt"]
    fetched = (await gql.data(GET, {"id": created["id"]}, as_=owner))["resolutionPreset"]
    assert fetched == created


async def test_sizes_must_be_positive(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    for width in (0, -1):
        error = await gql.error(CREATE, {"input": {"name": "bad", "width": width, "height": 10}}, as_=owner)
        assert error_code(error) == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == {"input.width": "must be greater than 0"}
    error = await gql.error(CREATE, {"input": {"name": "bad", "width": 0, "height": -5}}, as_=owner)
    assert error["extensions"]["fields"] == {
        "input.width": "must be greater than 0",
        "input.height": "must be greater than 0",
    }
    preset = await create(gql, owner)
    error = await gql.error(UPDATE, {"id": preset["id"], "input": {"height": 0}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.height": "must be greater than 0"}
    # Nothing was stored by the refused calls.
    assert (await gql.data(LIST, {}, as_=owner))["resolutionPresets"]["count"] == 1
    assert (await gql.data(GET, {"id": preset["id"]}, as_=owner))["resolutionPreset"]["height"] == 768


async def test_name_limits(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    error = await gql.error(CREATE, {"input": {"name": "x" * 256, "width": 1, "height": 1}}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    longest = await create(gql, owner, name="y" * 255)
    assert len(longest["name"]) == 255
    error = await gql.error(UPDATE, {"id": longest["id"], "input": {"name": "z" * 256}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    error = await gql.error(CREATE, {"input": {"name": "  ", "width": 1, "height": 1}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must not be blank"}
    missing = await gql.error(CREATE, {"input": {"name": "no height", "width": 1}}, as_=owner)
    assert error_code(missing) == "BAD_USER_INPUT"


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    preset = await create(gql, owner, width=640, height=480)
    updated = (await gql.data(UPDATE, {"id": preset["id"], "input": {"width": 800}}, as_=owner))[
        "updateResolutionPreset"
    ]
    assert (updated["name"], updated["width"], updated["height"]) == (preset["name"], 800, 480)
    assert datetime.fromisoformat(updated["updatedAt"]) > datetime.fromisoformat(preset["updatedAt"])
    renamed = (await gql.data(UPDATE, {"id": preset["id"], "input": {"name": "Square", "height": 800}}, as_=owner))[
        "updateResolutionPreset"
    ]
    assert (renamed["name"], renamed["width"], renamed["height"]) == ("Square", 800, 800)
    error = await gql.error(
        UPDATE, {"id": preset["id"], "input": {"name": None, "width": None, "ownerId": None}}, as_=owner
    )
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "input.name": "must not be null",
        "input.width": "must not be null",
        "input.ownerId": "must not be null",
    }
    assert (await gql.data(GET, {"id": preset["id"]}, as_=owner))["resolutionPreset"] == renamed


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
        assert (await gql.data(GET, {"id": preset["id"]}, as_=admin))["resolutionPreset"]["id"] == preset["id"]
    # A stranger cannot tell a private preset from a missing one.
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (error_code(missing), missing["message"]) == (error_code(hidden), hidden["message"])
    assert (error_code(hidden), hidden["message"]) == ("NOT_FOUND", "Resolution preset not found")
    assert error_code(await gql.error(GET, {"id": shared["id"]}, as_=stranger)) == "NOT_FOUND"
    assert error_code(await gql.error(UPDATE, {"id": private["id"], "input": {"width": 9}}, as_=stranger)) == (
        "NOT_FOUND"
    )
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    # The member sees only the organization's presets, not the owner's personal one.
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    seen = (await gql.data(GET, {"id": shared["id"], "org": org}, as_=member))["resolutionPreset"]
    assert seen["organizationId"] == org
    changed = (await gql.data(UPDATE, {"id": shared["id"], "input": {"width": 2048}, "org": org}, as_=member))[
        "updateResolutionPreset"
    ]
    assert changed["width"] == 2048
    # Members may edit but only the organization's owners may delete.
    assert error_code(await gql.error(DELETE, {"id": shared["id"]}, as_=member)) == "FORBIDDEN"
    # The organization scope is checked: a personal preset is not found under it; strangers may not use it.
    assert error_code(await gql.error(GET, {"id": private["id"], "org": org}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": shared["id"], "org": org}, as_=stranger)) == "FORBIDDEN"
    assert error_code(await gql.error(LIST, {"org": org}, as_=stranger)) == "FORBIDDEN"
    member_list = (await gql.data(LIST, {"org": org}, as_=member))["resolutionPresets"]
    assert member_list == {
        "count": 1,
        "data": [{"id": shared["id"], "name": shared["name"], "width": 2048, "height": 768}],
    }
    assert (await gql.data(DELETE, {"id": shared["id"], "org": org}, as_=owner))["deleteResolutionPreset"] == {
        "message": "Resolution preset deleted successfully"
    }


async def test_creating_for_others_and_in_organizations(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await organization(gql, owner)
    body = {"name": unique("r"), "width": 10, "height": 10}
    assert error_code(await gql.error(CREATE, {"input": body, "org": org}, as_=stranger)) == "FORBIDDEN"
    in_input = {**body, "organizationId": org}
    assert error_code(await gql.error(CREATE, {"input": in_input}, as_=stranger)) == "FORBIDDEN"
    for_other = {**body, "ownerId": str(owner.id)}
    assert error_code(await gql.error(CREATE, {"input": for_other}, as_=stranger)) == "FORBIDDEN"
    made_for_owner = (await gql.data(CREATE, {"input": for_other}, as_=admin))["createResolutionPreset"]
    assert made_for_owner["ownerId"] == str(owner.id)
    assert (await gql.data(GET, {"id": made_for_owner["id"]}, as_=owner))["resolutionPreset"]["id"] == (
        made_for_owner["id"]
    )
    conflicting = await gql.error(
        CREATE, {"input": {**body, "organizationId": str(uuid.uuid4())}, "org": org}, as_=owner
    )
    assert conflicting["extensions"]["fields"] == {"input.organizationId": "differs from the organizationId argument"}
    # Moving a personal preset into an organization one belongs to; a stranger may not move it into theirs.
    moved = (await gql.data(UPDATE, {"id": made_for_owner["id"], "input": {"organizationId": org}}, as_=owner))[
        "updateResolutionPreset"
    ]
    assert moved["organizationId"] == org
    other_org = await organization(gql, stranger)
    personal = await create(gql, owner)
    error = await gql.error(UPDATE, {"id": personal["id"], "input": {"organizationId": other_org}}, as_=owner)
    assert error_code(error) == "FORBIDDEN"


async def test_lists_filter_and_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    org = await organization(gql, owner)
    names = [unique(f"{letter}-res") for letter in "abc"]
    made = [await create(gql, owner, name=name) for name in reversed(names)]
    in_org = await create(gql, owner, org=org)
    await create(gql, other)
    personal = (await gql.data(LIST, {}, as_=owner))["resolutionPresets"]
    assert personal["count"] == 3
    assert [p["name"] for p in personal["data"]] == names  # ordered by name
    page = (await gql.data(LIST, {"skip": 1, "limit": 1}, as_=owner))["resolutionPresets"]
    assert page["count"] == 3 and [p["name"] for p in page["data"]] == [names[1]]
    assert [p["id"] for p in (await gql.data(LIST, {"org": org}, as_=owner))["resolutionPresets"]["data"]] == [
        in_org["id"]
    ]
    # ownerId narrows to that owner's presets, for superusers only.
    by_owner = (await gql.data(LIST, {"owner": str(owner.id)}, as_=admin))["resolutionPresets"]
    assert by_owner["count"] == 4
    assert {p["id"] for p in by_owner["data"]} == {p["id"] for p in [*made, in_org]}
    by_owner_in_org = (await gql.data(LIST, {"owner": str(owner.id), "org": org}, as_=admin))["resolutionPresets"]
    assert [p["id"] for p in by_owner_in_org["data"]] == [in_org["id"]]
    error = await gql.error(LIST, {"owner": str(owner.id)}, as_=owner)
    assert error_code(error) == "FORBIDDEN"
    error = await gql.error(LIST, {"skip": -1}, as_=owner)
    assert error["extensions"]["fields"] == {"skip": "must be 0 or more"}


async def test_delete_and_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    preset = await create(gql, owner)
    assert (await gql.data(DELETE, {"id": preset["id"]}, as_=owner))["deleteResolutionPreset"]["message"]
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": preset["id"]}, as_=admin)) == "NOT_FOUND"
    assert (await gql.data(LIST, {}, as_=owner))["resolutionPresets"]["count"] == 0
    assert error_code(await gql.error(UPDATE, {"id": preset["id"], "input": {"width": 5}}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": preset["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": preset["id"]}, as_=admin))["restoreResolutionPreset"]
    assert restored == {"id": preset["id"], "name": preset["name"], "deletedAt": None}
    assert (await gql.data(GET, {"id": preset["id"]}, as_=owner))["resolutionPreset"]["id"] == preset["id"]
    assert error_code(await gql.error(RESTORE, {"id": preset["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_anonymous_callers_are_refused(gql: GraphQLClient) -> None:
    assert error_code(await gql.error(LIST, {})) == "UNAUTHENTICATED"
    body = {"name": "x", "width": 1, "height": 1}
    assert error_code(await gql.error(CREATE, {"input": body})) == "UNAUTHENTICATED"
