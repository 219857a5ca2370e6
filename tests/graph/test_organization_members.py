"""`organization(id)` and `Organization.members` (docs/api.md, "Users and organizations"): one of the caller's
organizations with the caller's role; NOT_FOUND for anyone else, exactly as for an organization that does not
exist; members seen by members and superusers only, as id, email and full name and nothing more; and one statement
per level however many organizations and members a page holds. Over real HTTP, to the live server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.statements import count_statements

CREATE_ORG = "mutation($name: String!) { createOrganization(name: $name) { id } }"
ADD_MEMBER = """mutation($org: UUID!, $user: UUID!, $role: OrganizationRole!) {
  addOrganizationMember(organizationId: $org, userId: $user, role: $role) { role } }"""
REMOVE_MEMBER = """mutation($org: UUID!, $user: UUID!) {
  removeOrganizationMember(organizationId: $org, userId: $user) { message } }"""
ORGANIZATION = """query($id: UUID!) {
  organization(id: $id) { id name role members { role user { id email fullName } } } }"""


@pytest.fixture
async def api(live_server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        yield GraphQLClient(client)


def member(account: Account, role: str) -> dict[str, Any]:
    """How `members` shows an account."""
    return {
        "role": role,
        "user": {"id": str(account.id), "email": account.user.email, "fullName": account.user.full_name},
    }


async def organization_of(api: GraphQLClient, owner: Account, name: str, *members: Account) -> str:
    """An organization `owner` creates, then adds `members` to (as MEMBER, in this order)."""
    org = (await api.data(CREATE_ORG, {"name": name}, as_=owner))["createOrganization"]["id"]
    for account in members:
        await api.data(ADD_MEMBER, {"org": org, "user": str(account.id), "role": "MEMBER"}, as_=owner)
    return str(org)


async def test_members_see_the_organization_and_who_is_in_it(api: GraphQLClient, accounts: Accounts) -> None:
    owner, first, second = await accounts.user(), await accounts.user(), await accounts.user()
    org = await organization_of(api, owner, "Atelier", first, second)
    members = [member(owner, "OWNER"), member(first, "MEMBER"), member(second, "MEMBER")]
    for viewer, role in ((owner, "OWNER"), (first, "MEMBER")):
        answer = await api.data(ORGANIZATION, {"id": org}, as_=viewer)
        assert answer == {"organization": {"id": org, "name": "Atelier", "role": role, "members": members}}
    # The same members wherever the organization is reached from.
    mine = await api.data("{ me { organizations { id members { role user { id email fullName } } } } }", as_=first)
    assert mine == {"me": {"organizations": [{"id": org, "members": members}]}}
    listed = await api.data("{ organizations { id role members { role user { id } } } }", as_=second)
    assert listed["organizations"] == [
        {
            "id": org,
            "role": "MEMBER",
            "members": [{"role": m["role"], "user": {"id": m["user"]["id"]}} for m in members],
        }
    ]


async def test_non_members_get_not_found_exactly_as_for_no_organization(api: GraphQLClient, accounts: Accounts) -> None:
    owner, stranger, leaver = await accounts.user(), await accounts.user(), await accounts.user()
    org = await organization_of(api, owner, "Private", leaver)
    hidden = await api(ORGANIZATION, {"id": org}, as_=stranger)
    missing = await api(ORGANIZATION, {"id": str(uuid.uuid4())}, as_=stranger)
    expected = {
        "data": None,
        "errors": [
            {
                "message": "Organization not found",
                "locations": [{"line": 2, "column": 3}],
                "path": ["organization"],
                "extensions": {"code": "NOT_FOUND"},
            }
        ],
    }
    assert {**hidden, "extensions": None} == {**missing, "extensions": None} == {**expected, "extensions": None}
    # A member who left sees it no more.
    await api.data(REMOVE_MEMBER, {"org": org, "user": str(leaver.id)}, as_=leaver)
    assert error_code(await api.error(ORGANIZATION, {"id": org}, as_=leaver)) == "NOT_FOUND"


async def test_superusers_see_any_organization_with_no_role_of_their_own(
    api: GraphQLClient, accounts: Accounts
) -> None:
    owner, admin = await accounts.user(), await accounts.user(superuser=True)
    org = await organization_of(api, owner, "Audited")
    answer = await api.data(ORGANIZATION, {"id": org}, as_=admin)
    assert answer == {"organization": {"id": org, "name": "Audited", "role": None, "members": [member(owner, "OWNER")]}}
    # And through any user's organizations (the last page of users, in the order they were created: the owner's).
    count = (await api.data("{ users(limit: 1) { count } }", as_=admin))["users"]["count"]
    users = "query($skip: Int!) { users(skip: $skip, limit: 10) { data { id organizations { id members { role } } } } }"
    listed = (await api.data(users, {"skip": max(count - 10, 0)}, as_=admin))["users"]["data"]
    (owner_row,) = [user for user in listed if user["id"] == str(owner.id)]
    assert owner_row["organizations"] == [{"id": org, "members": [{"role": "OWNER"}]}]
    error = await api.error(ORGANIZATION, {"id": str(uuid.uuid4())}, as_=admin)
    assert error_code(error) == "NOT_FOUND"


async def test_anonymous_callers_are_unauthenticated(api: GraphQLClient, accounts: Accounts) -> None:
    org = await organization_of(api, await accounts.user(), "Closed")
    assert error_code(await api.error(ORGANIZATION, {"id": org})) == "UNAUTHENTICATED"


async def test_the_creator_is_the_first_member_in_the_creating_answer(api: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    created = await api.data(
        'mutation { createOrganization(name: "Fresh") { role members { role user { id } } } }', as_=owner
    )
    assert created == {
        "createOrganization": {"role": "OWNER", "members": [{"role": "OWNER", "user": {"id": str(owner.id)}}]}
    }


async def test_a_member_is_shown_as_id_email_and_name_only(api: GraphQLClient, accounts: Accounts) -> None:
    viewer = await accounts.user()
    described = await api.data('{ __type(name: "OrganizationMemberUser") { fields { name } } }', as_=viewer)
    assert [field["name"] for field in described["__type"]["fields"]] == ["id", "email", "fullName"]
    for hidden in ("isSuperuser", "isActive", "organizations"):
        query = f"{{ organizations {{ members {{ user {{ {hidden} }} }} }} }}"
        assert error_code(await api.error(query, as_=viewer)) == "GRAPHQL_VALIDATION_FAILED"


# The caller's statement, then one per level: memberships, organizations, members.
ORGANIZATIONS_STATEMENTS = 1 + 3
ORGANIZATIONS = "{ organizations { id name members { role joinedAt user { id email fullName } } } }"


async def test_members_of_a_page_of_organizations_take_one_statement(
    app: Starlette, api: GraphQLClient, accounts: Accounts
) -> None:
    viewer, colleague, another = await accounts.user(), await accounts.user(), await accounts.user()
    counts = []
    for total, added in ((2, 2), (6, 4)):
        for index in range(added):
            await organization_of(api, viewer, f"Org {total}-{index}", colleague, another)
        with count_statements(app) as log:
            data = await api.data(ORGANIZATIONS, as_=viewer)
        organizations = data["organizations"]
        assert len(organizations) == total
        assert all(
            [m["user"]["id"] for m in o["members"]] == [str(viewer.id), str(colleague.id), str(another.id)]
            for o in organizations
        )
        counts.append(log.count)
        assert len(log.reading("organization_memberships")) == 3, log.tables()  # caller, memberships, members
    assert counts == [ORGANIZATIONS_STATEMENTS, ORGANIZATIONS_STATEMENTS]

    with count_statements(app) as log:
        await api.data(ORGANIZATION, {"id": organizations[0]["id"]}, as_=viewer)
    assert log.count == 1 + 2, log.tables()  # the caller, the organization, its members
