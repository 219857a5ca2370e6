"""Who may do what with styles: visibility (owner, organization member, stranger, superuser), organization
transfers, delete rights, and the superuser-only operations (admin views, owner assignment, LoRA trigger)."""

from __future__ import annotations

import uuid
from typing import Any

from db.models.enums import OrganizationRole
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.graph.test_styles import (
    ARCHIVE,
    COVER,
    CREATE,
    DELETE,
    GET,
    RESTORE,
    UNARCHIVE,
    UPDATE,
    create_style,
    listed,
    organization,
    update_style,
)

ADMIN_FIELDS = "id name ownerId organizationId archived localModelPath loraTrigger slug"
ADMIN_LIST = f"""query($org: UUID, $skip: Int! = 0, $limit: Int! = 100) {{
  adminStyles(organizationId: $org, skip: $skip, limit: $limit) {{ count data {{ {ADMIN_FIELDS} }} }} }}"""
ADMIN_GET = f"query($id: UUID!) {{ adminStyle(id: $id) {{ {ADMIN_FIELDS} }} }}"
ASSIGN = f"""mutation($style: UUID!, $owner: UUID!, $org: UUID) {{
  assignStyleOwner(styleId: $style, newOwnerId: $owner, organizationId: $org) {{ {ADMIN_FIELDS} }} }}"""
TRIGGER = f"""mutation($style: UUID!, $trigger: String) {{
  updateStyleLoraTrigger(styleId: $style, loraTrigger: $trigger) {{ {ADMIN_FIELDS} }} }}"""
TRIGGER_OMITTED = f"mutation($style: UUID!) {{ updateStyleLoraTrigger(styleId: $style) {{ {ADMIN_FIELDS} }} }}"


async def people(accounts: Accounts) -> tuple[Account, Account, Account, Account]:
    """An organization's owner, a plain member of it (added later), a stranger and a superuser."""
    return (await accounts.user(), await accounts.user(), await accounts.user(), await accounts.user(superuser=True))


async def test_visibility_between_owner_member_stranger_and_superuser(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = await people(accounts)
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org))
    private = await create_style(gql, owner)
    in_org = await create_style(gql, owner, org=org)
    public = await create_style(gql, owner, public=True)

    for style in (private, in_org, public):
        assert (await gql.data(GET, {"id": style["id"]}, as_=owner))["style"]["id"] == style["id"]
        assert (await gql.data(GET, {"id": style["id"]}, as_=admin))["style"]["id"] == style["id"]
    assert (await gql.data(GET, {"id": in_org["id"], "org": org}, as_=member))["style"]["id"] == in_org["id"]
    assert (await gql.data(GET, {"id": public["id"]}, as_=stranger))["style"]["id"] == public["id"]
    # A stranger cannot tell a hidden style from a missing one, whatever the operation.
    missing = str(uuid.uuid4())
    for style_id in (private["id"], in_org["id"], missing):
        for query, variables in (
            (GET, {"id": style_id}),
            (UPDATE, {"id": style_id, "input": {"brand": "x"}}),
            (DELETE, {"id": style_id}),
            (ARCHIVE, {"id": style_id}),
            (UNARCHIVE, {"id": style_id}),
        ):
            error = await gql.error(query, variables, as_=stranger)
            assert (error_code(error), error["message"]) == ("NOT_FOUND", "Style not found"), query
    # A member sees only the organization's styles, not the owner's private ones.
    assert error_code(await gql.error(GET, {"id": private["id"]}, as_=member)) == "NOT_FOUND"
    # Seeing a public style is not owning it.
    for query, variables in (
        (UPDATE, {"id": public["id"], "input": {"brand": "x"}}),
        (DELETE, {"id": public["id"]}),
        (ARCHIVE, {"id": public["id"]}),
    ):
        assert error_code(await gql.error(query, variables, as_=stranger)) == "FORBIDDEN"
    # Members change the organization's styles; superusers change anything.
    assert (await update_style(gql, member, in_org["id"], brand="Team"))["brand"] == "Team"
    assert (await gql.data(ARCHIVE, {"id": in_org["id"], "org": org}, as_=member))["archiveStyle"]["archived"]
    assert (await update_style(gql, admin, private["id"], brand="Admin"))["brand"] == "Admin"
    # With organizationId the style must belong to that organization.
    assert error_code(await gql.error(GET, {"id": private["id"], "org": org}, as_=owner)) == "NOT_FOUND"
    assert error_code(await gql.error(GET, {"id": in_org["id"], "org": org}, as_=stranger)) == "FORBIDDEN"


async def test_delete_rights_follow_the_organization_roles(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, _, _ = await people(accounts)
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org))
    style = await create_style(gql, owner, org=org)
    refused = await gql.error(DELETE, {"id": style["id"], "org": org}, as_=member)
    assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "You may not change this style")
    deleted = await gql.data(DELETE, {"id": style["id"], "org": org}, as_=owner)
    assert deleted["deleteStyle"]["message"] == "Style deleted successfully"
    assert error_code(await gql.error(GET, {"id": style["id"]}, as_=member)) == "NOT_FOUND"


async def test_creating_inside_an_organization(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, _ = await people(accounts)
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org))
    # In the argument (the spec's query parameter) or in the input: both work.
    by_argument = await create_style(gql, member, org=org)
    by_input = await create_style(gql, member, organizationId=org)
    assert by_argument["organizationId"] == by_input["organizationId"] == org
    refused = await gql.error(CREATE, {"input": {"name": "n", "coverImage": COVER}, "org": org}, as_=stranger)
    assert error_code(refused) == "FORBIDDEN"
    other_org = await organization(gql, member)
    clash = await gql.error(
        CREATE, {"input": {"name": "n", "coverImage": COVER, "organizationId": other_org}, "org": org}, as_=member
    )
    assert error_code(clash) == "BAD_USER_INPUT"
    assert clash["extensions"]["fields"] == {"input.organizationId": "differs from the organizationId argument"}


async def test_organization_transfer_rules(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, _, _ = await people(accounts)
    org = await organization(gql, owner)
    await accounts.add_to_organization(member, uuid.UUID(org), OrganizationRole.MEMBER)
    foreign_org = await organization(gql, await accounts.user())

    # Into an organization the caller belongs to.
    personal = await create_style(gql, member)
    moved_in = await update_style(gql, member, personal["id"], organizationId=org)
    assert moved_in["organizationId"] == org
    assert await listed(gql, owner, org=org) == (1, [personal["name"]])
    # Into one they do not belong to.
    other = await create_style(gql, member)
    refused = await gql.error(UPDATE, {"id": other["id"], "input": {"organizationId": foreign_org}}, as_=member)
    assert (error_code(refused), refused["message"]) == ("FORBIDDEN", "You are not a member of this organization")
    # Out of an organization: a plain member may not (even their own style), its owner may.
    out = await gql.error(UPDATE, {"id": personal["id"], "input": {"organizationId": None}}, as_=member)
    assert (error_code(out), out["message"]) == (
        "FORBIDDEN",
        "Only the organization's owner may move this out of the organization",
    )
    moved_out = await update_style(gql, owner, personal["id"], organizationId=None)
    assert (moved_out["organizationId"], moved_out["ownerId"]) == (None, str(member.id))
    assert await listed(gql, member) == (2, [other["name"], personal["name"]])


async def test_superuser_operations_refuse_everyone_else(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    style = await create_style(gql, owner)
    attempts: tuple[tuple[str, dict[str, Any]], ...] = (
        (ADMIN_LIST, {}),
        (ADMIN_GET, {"id": style["id"]}),
        (ASSIGN, {"style": style["id"], "owner": str(owner.id)}),
        (TRIGGER, {"style": style["id"], "trigger": "x"}),
        (RESTORE, {"id": style["id"]}),
    )
    for query, variables in attempts:
        error = await gql.error(query, variables, as_=owner)
        assert (error_code(error), error["message"]) == ("FORBIDDEN", "Superuser privileges required"), query
        assert error_code(await gql.error(query, variables)) == "UNAUTHENTICATED"
    demo = await gql.error(UPDATE, {"id": style["id"], "input": {"demo": True}}, as_=owner)
    assert (error_code(demo), demo["message"]) == ("FORBIDDEN", "Only superusers may mark demo styles")
    assert (await gql.data(GET, {"id": style["id"]}, as_=owner))["style"]["demo"] is False


async def test_admin_views_show_every_style(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, _, _, admin = await people(accounts)
    org = await organization(gql, owner)
    first = await create_style(gql, owner, org=org)
    second = await create_style(gql, owner, org=org)
    await gql.data(ARCHIVE, {"id": second["id"]}, as_=owner)
    deleted = await create_style(gql, owner, org=org)
    await gql.data(DELETE, {"id": deleted["id"]}, as_=owner)
    private = await create_style(gql, owner)

    # Archived styles are included, deleted ones are not.
    page = (await gql.data(ADMIN_LIST, {"org": org}, as_=admin))["adminStyles"]
    assert page["count"] == 2
    assert [(style["id"], style["archived"]) for style in page["data"]] == [(second["id"], True), (first["id"], False)]
    assert (await gql.data(ADMIN_LIST, {"org": org, "skip": 1, "limit": 1}, as_=admin))["adminStyles"] == {
        "count": 2,
        "data": [page["data"][1]],
    }
    everything = (await gql.data(ADMIN_LIST, {"limit": 1000}, as_=admin))["adminStyles"]
    assert {first["id"], second["id"], private["id"]} <= {style["id"] for style in everything["data"]}
    assert deleted["id"] not in {style["id"] for style in everything["data"]}
    assert everything["count"] >= 3
    shown = (await gql.data(ADMIN_GET, {"id": private["id"]}, as_=admin))["adminStyle"]
    assert (shown["id"], shown["slug"], shown["ownerId"]) == (private["id"], private["slug"], str(owner.id))
    assert error_code(await gql.error(ADMIN_GET, {"id": deleted["id"]}, as_=admin)) == "NOT_FOUND"


async def test_assign_style_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, new_owner, _, admin = await people(accounts)
    org = await organization(gql, new_owner)
    style = await create_style(gql, owner)

    assigned = (await gql.data(ASSIGN, {"style": style["id"], "owner": str(new_owner.id)}, as_=admin))[
        "assignStyleOwner"
    ]
    assert (assigned["ownerId"], assigned["organizationId"]) == (str(new_owner.id), None)
    assert await listed(gql, new_owner) == (1, [style["name"]])
    assert error_code(await gql.error(GET, {"id": style["id"]}, as_=owner)) == "NOT_FOUND"

    into_org = {"style": style["id"], "owner": str(new_owner.id), "org": org}
    assert (await gql.data(ASSIGN, into_org, as_=admin))["assignStyleOwner"]["organizationId"] == org
    assert await listed(gql, new_owner, org=org) == (1, [style["name"]])

    not_member = await gql.error(ASSIGN, {**into_org, "owner": str(owner.id)}, as_=admin)
    assert error_code(not_member) == "BAD_USER_INPUT"
    assert not_member["extensions"]["fields"] == {
        "organizationId": "the new owner is not a member of this organization"
    }
    unknown_user = await gql.error(ASSIGN, {"style": style["id"], "owner": str(uuid.uuid4())}, as_=admin)
    assert unknown_user["extensions"]["fields"] == {"newOwnerId": "no active user has this id"}
    unknown_style = await gql.error(ASSIGN, {"style": str(uuid.uuid4()), "owner": str(owner.id)}, as_=admin)
    assert error_code(unknown_style) == "NOT_FOUND"
    # The refused calls changed nothing.
    shown = (await gql.data(ADMIN_GET, {"id": style["id"]}, as_=admin))["adminStyle"]
    assert (shown["ownerId"], shown["organizationId"]) == (str(new_owner.id), org)


async def test_update_style_lora_trigger(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, _, _, admin = await people(accounts)
    style = await create_style(gql, owner)
    set_ = await gql.data(TRIGGER, {"style": style["id"], "trigger": "sks denim"}, as_=admin)
    assert set_["updateStyleLoraTrigger"]["loraTrigger"] == "sks denim"
    assert (await gql.data(GET, {"id": style["id"]}, as_=owner))["style"]["loraTrigger"] == "sks denim"
    omitted = await gql.data(TRIGGER_OMITTED, {"style": style["id"]}, as_=admin)
    assert omitted["updateStyleLoraTrigger"]["loraTrigger"] is None
    await gql.data(TRIGGER, {"style": style["id"], "trigger": "again"}, as_=admin)
    nulled = await gql.data(TRIGGER, {"style": style["id"], "trigger": None}, as_=admin)
    assert nulled["updateStyleLoraTrigger"]["loraTrigger"] is None
    too_long = await gql.error(TRIGGER, {"style": style["id"], "trigger": "t" * 129}, as_=admin)
    assert error_code(too_long) == "BAD_USER_INPUT"
    assert too_long["extensions"]["fields"] == {"loraTrigger": "must be at most 128 characters"}
    missing = await gql.error(TRIGGER, {"style": str(uuid.uuid4()), "trigger": "x"}, as_=admin)
    assert error_code(missing) == "NOT_FOUND"
