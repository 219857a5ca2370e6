"""Shot types: CRUD, limits, filters, name lookup and visibility between users."""

from __future__ import annotations

import uuid
from typing import Any

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.images import image_uri

FIELDS = """id name viewAngle framing public ownerId organizationId coreFocus deletedAt margins
  referenceImageUrl referenceImage { width height }"""
CREATE = f"""mutation($input: ShotTypeCreate!, $org: UUID) {{
  createShotType(input: $input, organizationId: $org) {{ {FIELDS} }} }}"""
UPDATE = (
    f"""mutation($id: UUID!, $input: ShotTypeUpdate!) {{ updateShotType(id: $id, input: $input) {{ {FIELDS} }} }}"""
)
GET = f"query($id: UUID!, $org: UUID) {{ shotType(id: $id, organizationId: $org) {{ {FIELDS} }} }}"
DELETE = "mutation($id: UUID!) { deleteShotType(id: $id) { message } }"
RESTORE = "mutation($id: UUID!) { restoreShotType(id: $id) { id deletedAt } }"
LIST = """query($org: UUID, $pub: Boolean!, $search: String, $angle: ViewAngle, $framing: ShotTypeFraming,
  $skip: Int! = 0, $limit: Int! = 100) {
  shotTypes(organizationId: $org, includePublic: $pub, search: $search, viewAngle: $angle, framing: $framing,
    skip: $skip, limit: $limit) { count data { id name } } }"""


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def create(gql: GraphQLClient, account: Account, org: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("shot"), "viewAngle": "FRONT", "framing": "UPPER_BODY", "public": False, **fields}
    return (await gql.data(CREATE, {"input": body, "org": org}, as_=account))["createShotType"]


async def test_spec_example_creates_a_shot_type_with_a_reference_image(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    name = unique("front_upper_body")
    example = {
        "fileNamingConvention": "{product_name}_front_upper",
        "framing": "UPPER_BODY",
        "name": name,
        "shotTypePromptInstruction": "Capture the front view from waist up",
        "shotTypeRefImageUrl": "https://example.com/reference.jpg",
        "viewAngle": "FRONT",
        "referenceImageUrl": {"url": image_uri(width=60, height=90)},
    }
    created = (await gql.data(CREATE, {"input": example}, as_=owner))["createShotType"]
    assert created["name"] == name
    assert (created["viewAngle"], created["framing"]) == ("FRONT", "UPPER_BODY")
    assert created["public"] is True  # the documented default
    assert created["ownerId"] == str(owner.id)
    assert created["referenceImage"] == {"width": 60, "height": 90}
    image = await gql.http.get(created["referenceImageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    fetched = (await gql.data(GET, {"id": created["id"]}, as_=owner))["shotType"]
    assert fetched == created


async def test_documented_limits_name_the_bad_field(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    too_long = {"name": "x" * 256, "viewAngle": "FRONT", "framing": "FULL_BODY"}
    error = await gql.error(CREATE, {"input": too_long}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.name": "must be at most 255 characters"}
    not_an_image = {"name": unique("s"), "viewAngle": "FRONT", "framing": "FULL_BODY",
                    "referenceImageUrl": {"url": "data:text/plain;base64,aGVsbG8="}}  # fmt: skip
    error = await gql.error(CREATE, {"input": not_an_image}, as_=owner)
    assert error_code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"input.referenceImageUrl": "not an image"}
    http_url = {"name": unique("s"), "viewAngle": "FRONT", "framing": "FULL_BODY",
                "referenceImageUrl": {"url": "http://example.com/a.jpg"}}  # fmt: skip
    error = await gql.error(CREATE, {"input": http_url}, as_=owner)
    assert error["extensions"]["fields"]["input.referenceImageUrl"].startswith("must be an https URL")
    bad_enum = await gql.error(
        CREATE, {"input": {"name": "a", "viewAngle": "SIDEWAYS", "framing": "FULL_BODY"}}, as_=owner
    )
    assert error_code(bad_enum) == "BAD_USER_INPUT"


async def test_names_are_unique_per_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    first, second = await accounts.user(), await accounts.user()
    name = unique("dup")
    await create(gql, first, name=name)
    error = await gql.error(
        CREATE, {"input": {"name": name.upper(), "viewAngle": "BACK", "framing": "FULL_BODY"}}, as_=first
    )
    assert error_code(error) == "CONFLICT"
    # Another owner may use the same name.
    assert (await create(gql, second, name=name))["name"] == name


async def test_update_changes_only_what_is_given(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await create(gql, owner, margins="10px", referenceImageUrl={"url": image_uri()})
    updated = (await gql.data(UPDATE, {"id": created["id"], "input": {"viewAngle": "BACK"}}, as_=owner))[
        "updateShotType"
    ]
    assert updated["viewAngle"] == "BACK"
    assert (updated["name"], updated["margins"]) == (created["name"], "10px")
    assert updated["referenceImage"] is not None
    cleared = (
        await gql.data(UPDATE, {"id": created["id"], "input": {"margins": None, "referenceImageUrl": None}}, as_=owner)
    )["updateShotType"]
    assert (cleared["margins"], cleared["referenceImage"], cleared["referenceImageUrl"]) == (None, None, None)
    error = await gql.error(UPDATE, {"id": created["id"], "input": {"name": None, "framing": None}}, as_=owner)
    assert error["extensions"]["fields"] == {"input.name": "must not be null", "input.framing": "must not be null"}


async def test_visibility_between_users(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    org = (await gql.data('mutation { createOrganization(name: "Team") { id } }', as_=owner))["createOrganization"][
        "id"
    ]
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    private = await create(gql, owner)
    in_org = await create(gql, owner, org=org)
    public = await create(gql, owner, public=True)

    for shot in (private, in_org, public):
        assert (await gql.data(GET, {"id": shot["id"]}, as_=admin))["shotType"]["id"] == shot["id"]
    # The stranger cannot tell a private shot type from a missing one.
    missing = await gql.error(GET, {"id": str(uuid.uuid4())}, as_=stranger)
    hidden = await gql.error(GET, {"id": private["id"]}, as_=stranger)
    assert (
        (error_code(missing), missing["message"])
        == (error_code(hidden), hidden["message"])
        == ("NOT_FOUND", "Shot type not found")
    )
    assert error_code(await gql.error(GET, {"id": in_org["id"]}, as_=stranger)) == "NOT_FOUND"
    assert (await gql.data(GET, {"id": public["id"]}, as_=stranger))["shotType"]["id"] == public["id"]
    # Organization members see and edit the organization's shot types.
    assert (await gql.data(GET, {"id": in_org["id"], "org": org}, as_=member))["shotType"]["id"] == in_org["id"]
    renamed = await gql.data(UPDATE, {"id": in_org["id"], "input": {"name": unique("renamed")}}, as_=member)
    assert renamed["updateShotType"]["name"].startswith("renamed")
    # Seeing a public shot type is not owning it.
    assert (
        error_code(await gql.error(UPDATE, {"id": public["id"], "input": {"margins": "x"}}, as_=stranger))
        == "FORBIDDEN"
    )
    assert (
        error_code(await gql.error(UPDATE, {"id": private["id"], "input": {"margins": "x"}}, as_=stranger))
        == "NOT_FOUND"
    )
    assert error_code(await gql.error(DELETE, {"id": private["id"]}, as_=stranger)) == "NOT_FOUND"
    # A plain member may not delete the organization's objects (only its owners may).
    assert error_code(await gql.error(DELETE, {"id": in_org["id"]}, as_=member)) == "FORBIDDEN"
    # A stranger asking for an organization's list is refused.
    assert error_code(await gql.error(LIST, {"org": org, "pub": False}, as_=stranger)) == "FORBIDDEN"
    member_list = (await gql.data(LIST, {"org": org, "pub": False}, as_=member))["shotTypes"]
    assert member_list == {"count": 1, "data": [{"id": in_org["id"], "name": renamed["updateShotType"]["name"]}]}


async def test_lists_filter_and_count(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    marker = uuid.uuid4().hex[:6]
    made = [
        await create(gql, owner, name=f"{marker}-a", viewAngle="FRONT", framing="FULL_BODY"),
        await create(gql, owner, name=f"{marker}-b", viewAngle="BACK", framing="FULL_BODY"),
        await create(gql, owner, name=f"{marker}-c", viewAngle="BACK", framing="CLOSE_UP"),
    ]
    personal = (await gql.data(LIST, {"pub": False}, as_=owner))["shotTypes"]
    assert personal["count"] == 3
    assert [s["id"] for s in personal["data"]] == [s["id"] for s in made]  # ordered by name
    back = (await gql.data(LIST, {"pub": False, "angle": "BACK"}, as_=owner))["shotTypes"]
    assert back["count"] == 2
    close_up = (await gql.data(LIST, {"pub": False, "framing": "CLOSE_UP"}, as_=owner))["shotTypes"]
    assert [s["name"] for s in close_up["data"]] == [f"{marker}-c"]
    page = (await gql.data(LIST, {"pub": False, "skip": 1, "limit": 1}, as_=owner))["shotTypes"]
    assert page["count"] == 3 and [s["name"] for s in page["data"]] == [f"{marker}-b"]
    searched = (await gql.data(LIST, {"pub": True, "search": f"{marker}-B"}, as_=owner))["shotTypes"]
    assert [s["name"] for s in searched["data"]] == [f"{marker}-b"]
    # includePublic brings in the defaults every install carries.
    with_public = (await gql.data(LIST, {"pub": True, "limit": 1000}, as_=owner))["shotTypes"]
    names = {s["name"] for s in with_public["data"]}
    assert {"front_full_body", "back_full_body", "side_full_body", "front_upper_body"} <= names
    assert with_public["count"] >= 3 + 4
    error = await gql.error(LIST, {"pub": False, "limit": 0}, as_=owner)
    assert error["extensions"]["fields"] == {"limit": "must be between 1 and 1000"}


async def test_owner_filter_is_for_superusers(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    mine = await create(gql, owner)
    query = "query($o: UUID!) { shotTypes(ownerId: $o, limit: 1000) { count data { id public } } }"
    listed = (await gql.data(query, {"o": str(owner.id)}, as_=admin))["shotTypes"]
    assert mine["id"] in {s["id"] for s in listed["data"]}
    assert all(s["public"] or s["id"] == mine["id"] for s in listed["data"])
    assert error_code(await gql.error(query, {"o": str(owner.id)}, as_=owner)) == "FORBIDDEN"


async def test_shot_type_by_name_prefers_your_own(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, other = await accounts.user(), await accounts.user()
    query = "query($n: String!) { shotTypeByName(name: $n) { id name ownerId } }"
    default = (await gql.data(query, {"n": "FRONT_FULL_BODY"}, as_=owner))["shotTypeByName"]
    assert default["name"] == "front_full_body" and default["ownerId"] is None
    own = await create(gql, owner, name="front_full_body")
    assert (await gql.data(query, {"n": "front_full_body"}, as_=owner))["shotTypeByName"]["id"] == own["id"]
    assert (await gql.data(query, {"n": "front_full_body"}, as_=other))["shotTypeByName"]["id"] == default["id"]
    private = await create(gql, owner, name=unique("secret"))
    assert error_code(await gql.error(query, {"n": private["name"]}, as_=other)) == "NOT_FOUND"


async def test_delete_and_restore(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    shot = await create(gql, owner)
    assert (await gql.data(DELETE, {"id": shot["id"]}, as_=owner))["deleteShotType"]["message"]
    assert error_code(await gql.error(GET, {"id": shot["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": shot["id"]}, as_=admin)) == "NOT_FOUND"
    assert error_code(await gql.error(DELETE, {"id": shot["id"]}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(RESTORE, {"id": shot["id"]}, as_=owner)) == "FORBIDDEN"
    restored = (await gql.data(RESTORE, {"id": shot["id"]}, as_=admin))["restoreShotType"]
    assert restored == {"id": shot["id"], "deletedAt": None}
    assert (await gql.data(GET, {"id": shot["id"]}, as_=owner))["shotType"]["id"] == shot["id"]
    assert error_code(await gql.error(RESTORE, {"id": shot["id"]}, as_=admin)) == "CONFLICT"
    assert error_code(await gql.error(RESTORE, {"id": str(uuid.uuid4())}, as_=admin)) == "NOT_FOUND"


async def test_creating_in_an_organization_needs_membership(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger = await accounts.user(), await accounts.user()
    org = (await gql.data('mutation { createOrganization(name: "Mine") { id } }', as_=owner))["createOrganization"][
        "id"
    ]
    body = {"name": unique("x"), "viewAngle": "FRONT", "framing": "FULL_BODY"}
    assert error_code(await gql.error(CREATE, {"input": body, "org": org}, as_=stranger)) == "FORBIDDEN"
    other_owner = {**body, "ownerId": str(owner.id)}
    assert error_code(await gql.error(CREATE, {"input": other_owner}, as_=stranger)) == "FORBIDDEN"
