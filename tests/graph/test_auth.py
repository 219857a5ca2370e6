"""Logins, tokens, users and organizations."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import jwt
import pytest
import websockets

from core.security import create_access_token
from tests.conftest import Accounts, GraphQLClient, error_code
from tests.websocket_frames import receive_message

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken tokenType } }"""
ME = "{ me { id email fullName isSuperuser organizations { id name role } } }"
CREATE_USER = "mutation($input: UserCreate!) { createUser(input: $input) { id email fullName isSuperuser } }"
CREATE_ORG = "mutation($name: String!) { createOrganization(name: $name) { id name role createdAt } }"
ADD_MEMBER = """mutation($org: UUID!, $user: UUID!, $role: OrganizationRole!) {
  addOrganizationMember(organizationId: $org, userId: $user, role: $role) { organizationId userId role } }"""


async def test_login_gives_a_token_that_identifies_the_user(gql: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user(password="s3cret-password")
    login = (await gql.data(LOGIN, {"email": account.user.email.upper(), "password": "s3cret-password"}))["login"]
    assert login["tokenType"] == "bearer"
    me = await gql.http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {login['accessToken']}"}
    )
    assert me.json()["data"]["me"]["email"] == account.user.email


async def test_wrong_password_is_unauthenticated_then_rate_limited(gql: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user(password="right-password")
    for _ in range(5):
        error = await gql.error(LOGIN, {"email": account.user.email, "password": "wrong-password"})
        assert error_code(error) == "UNAUTHENTICATED"
    # The sixth attempt in the minute is refused even with the right password.
    error = await gql.error(LOGIN, {"email": account.user.email, "password": "right-password"})
    assert error_code(error) == "RATE_LIMITED"


async def test_unknown_email_is_unauthenticated(gql: GraphQLClient) -> None:
    error = await gql.error(LOGIN, {"email": "nobody@example.com", "password": "whatever-password"})
    assert error_code(error) == "UNAUTHENTICATED"
    assert error["message"] == "Incorrect email or password"


async def test_oauth2_token_endpoint(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user(password="form-password")
    response = await http.post(
        "/api/v1/login/access-token", data={"username": account.user.email, "password": "form-password"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = await http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["data"]["me"]["id"] == str(account.id)

    bad = await http.post("/api/v1/login/access-token", data={"username": account.user.email, "password": "nope"})
    assert bad.status_code == 400
    missing = await http.post("/api/v1/login/access-token", data={"username": account.user.email})
    assert missing.status_code == 422
    nul = await http.post("/api/v1/login/access-token", data={"username": "a\x00@example.com", "password": "x"})
    assert (nul.status_code, nul.json()) == (422, {"detail": "username and password must not contain a NUL character"})


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "],
)
async def test_me_needs_a_valid_token(http: httpx.AsyncClient, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = (await http.post("/graphql", json={"query": ME}, headers=headers)).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_and_foreign_tokens_are_refused(http: httpx.AsyncClient, accounts: Accounts) -> None:
    account = await accounts.user()
    expired = create_access_token(account.id, secret=accounts.settings.signing_key, expires_minutes=-1)
    foreign = create_access_token(account.id, secret="another-key-that-is-long-enough-for-hs256", expires_minutes=5)
    unknown_user = create_access_token(uuid.uuid4(), secret=accounts.settings.signing_key, expires_minutes=5)
    for token in (expired, foreign, unknown_user):
        body = (await http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_accepted_before_is_refused_once_it_expires(http: httpx.AsyncClient, accounts: Accounts) -> None:
    """A verified token is remembered (core/security.py), its expiry is not: the request after it is refused."""
    account = await accounts.user()
    issued = int(time.time())
    claims = {"sub": str(account.id), "iat": issued, "exp": issued + 3, "jti": uuid.uuid4().hex, "ver": 0}
    headers = {"Authorization": f"Bearer {jwt.encode(claims, accounts.settings.signing_key, algorithm='HS256')}"}
    accepted = (await http.post("/graphql", json={"query": ME}, headers=headers)).json()
    assert accepted["data"]["me"]["id"] == str(account.id)
    await asyncio.sleep(issued + 3 - time.time() + 0.1)
    refused = (await http.post("/graphql", json={"query": ME}, headers=headers)).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_superuser_creates_users_who_can_log_in(gql: GraphQLClient, accounts: Accounts) -> None:
    admin = await accounts.user(superuser=True)
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    created = (
        await gql.data(
            CREATE_USER,
            {"input": {"email": email, "password": "new-user-password", "fullName": "New User"}},
            as_=admin,
        )
    )["createUser"]
    assert created == {"id": created["id"], "email": email, "fullName": "New User", "isSuperuser": False}
    assert (await gql.data(LOGIN, {"email": email, "password": "new-user-password"}))["login"]["accessToken"]

    duplicate = await gql.error(
        CREATE_USER, {"input": {"email": email.upper(), "password": "another-password"}}, as_=admin
    )
    assert error_code(duplicate) == "CONFLICT"


async def test_create_user_validates_and_needs_a_superuser(gql: GraphQLClient, accounts: Accounts) -> None:
    admin = await accounts.user(superuser=True)
    regular = await accounts.user()
    error = await gql.error(CREATE_USER, {"input": {"email": "not-an-email", "password": "short"}}, as_=admin)
    assert error_code(error) == "BAD_USER_INPUT"
    assert set(error["extensions"]["fields"]) == {"input.email", "input.password"}

    forbidden = await gql.error(
        CREATE_USER, {"input": {"email": "x@example.com", "password": "long-enough-password"}}, as_=regular
    )
    assert error_code(forbidden) == "FORBIDDEN"
    anonymous = await gql.error(CREATE_USER, {"input": {"email": "x@example.com", "password": "long-enough-password"}})
    assert error_code(anonymous) == "UNAUTHENTICATED"


async def test_organizations_and_members(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member, stranger, admin = (
        await accounts.user(),
        await accounts.user(),
        await accounts.user(),
        await accounts.user(superuser=True),
    )
    created = (await gql.data(CREATE_ORG, {"name": "Studio North"}, as_=owner))["createOrganization"]
    # The organization itself (API.md): its id is the one addOrganizationMember takes, and the caller owns it.
    assert (created["name"], created["role"]) == ("Studio North", "OWNER")
    org_id = created["id"]
    assert (await gql.data(ME, as_=owner))["me"]["organizations"] == [
        {"id": org_id, "name": "Studio North", "role": "OWNER"}
    ]

    added = await gql.data(ADD_MEMBER, {"org": org_id, "user": str(member.id), "role": "MEMBER"}, as_=owner)
    assert added["addOrganizationMember"] == {"organizationId": org_id, "userId": str(member.id), "role": "MEMBER"}

    # A plain member may not add people; a stranger is not even a member.
    assert (
        error_code(await gql.error(ADD_MEMBER, {"org": org_id, "user": str(stranger.id), "role": "MEMBER"}, as_=member))
        == "FORBIDDEN"
    )
    assert (
        error_code(
            await gql.error(ADD_MEMBER, {"org": org_id, "user": str(stranger.id), "role": "OWNER"}, as_=stranger)
        )
        == "FORBIDDEN"
    )
    # Superusers may; an existing member gets the new role.
    promoted = await gql.data(ADD_MEMBER, {"org": org_id, "user": str(member.id), "role": "OWNER"}, as_=admin)
    assert promoted["addOrganizationMember"]["role"] == "OWNER"
    missing = await gql.error(
        ADD_MEMBER, {"org": str(uuid.uuid4()), "user": str(member.id), "role": "MEMBER"}, as_=owner
    )
    assert error_code(missing) == "NOT_FOUND"

    member_view = await gql.data("{ organizations { id name role } }", as_=member)
    assert member_view["organizations"] == [{"id": org_id, "name": "Studio North", "role": "OWNER"}]
    assert (await gql.data("{ organizations { id } }", as_=stranger))["organizations"] == []
    me = (await gql.data(ME, as_=owner))["me"]
    assert [(o["id"], o["role"]) for o in me["organizations"]] == [(org_id, "OWNER")]


async def test_blank_or_long_organization_name_is_bad_input(gql: GraphQLClient, accounts: Accounts) -> None:
    owner = await accounts.user()
    for name in ("   ", "x" * 256):
        error = await gql.error(CREATE_ORG, {"name": name}, as_=owner)
        assert error_code(error) == "BAD_USER_INPUT"
        assert "name" in error["extensions"]["fields"]


async def _ws_exchange(live_server: str, init_payload: dict[str, object] | None, query: str) -> list[dict[str, object]]:
    async with websockets.connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": init_payload or {}}))
        messages: list[dict[str, object]] = []
        try:
            ack = await receive_message(ws)
            messages.append(ack)
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            while True:
                message = await receive_message(ws)
                messages.append(message)
                if message["type"] in ("complete", "error"):
                    break
        except websockets.ConnectionClosed as closed:
            messages.append({"type": "closed", "code": closed.rcvd.code if closed.rcvd else None})
        return messages


async def test_websocket_takes_the_token_from_connection_init(live_server: str, accounts: Accounts) -> None:
    account = await accounts.user()
    messages = await _ws_exchange(live_server, {"Authorization": f"Bearer {account.token}"}, "{ me { email } }")
    assert messages[0]["type"] == "connection_ack"
    # A query over the websocket is an answer like any other: it carries its cost (docs/api.md, "Limits and cost").
    cost = {"cost": {"requested": 1, "actual": 1}}
    payload = {"data": {"me": {"email": account.user.email}}, "extensions": cost}
    assert messages[1] == {"id": "1", "type": "next", "payload": payload}


async def test_websocket_refuses_a_bad_token(live_server: str) -> None:
    messages = await _ws_exchange(live_server, {"Authorization": "Bearer forged"}, "{ me { email } }")
    assert messages == [{"type": "closed", "code": 4403}]


async def test_websocket_without_token_is_anonymous(live_server: str) -> None:
    messages = await _ws_exchange(live_server, None, "{ me { email } }")
    assert messages[0]["type"] == "connection_ack"
    assert messages[1]["type"] == "next"
    payload = messages[1]["payload"]
    assert isinstance(payload, dict)
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


UPDATE_USER = """mutation($id: UUID!, $input: UserUpdate!) {
  updateUser(id: $id, input: $input) { id email fullName isSuperuser isActive } }"""
DELETE_USER = "mutation($id: UUID!) { deleteUser(id: $id) { message } }"


async def test_users_update_themselves_and_superusers_manage_everyone(gql: GraphQLClient, accounts: Accounts) -> None:
    user, other, admin = await accounts.user(), await accounts.user(), await accounts.user(superuser=True)
    mine = await gql.data(UPDATE_USER, {"id": str(user.id), "input": {"fullName": "Renamed"}}, as_=user)
    assert mine["updateUser"]["fullName"] == "Renamed"
    assert (
        error_code(await gql.error(UPDATE_USER, {"id": str(other.id), "input": {"fullName": "x"}}, as_=user))
        == "NOT_FOUND"
    )
    escalate = await gql.error(UPDATE_USER, {"id": str(user.id), "input": {"isSuperuser": True}}, as_=user)
    assert error_code(escalate) == "FORBIDDEN"
    nulled = await gql.error(UPDATE_USER, {"id": str(user.id), "input": {"email": None}}, as_=user)
    assert nulled["extensions"]["fields"] == {"input.email": "must not be null"}
    taken = await gql.error(UPDATE_USER, {"id": str(user.id), "input": {"email": other.user.email}}, as_=user)
    assert error_code(taken) == "CONFLICT"

    listed = (await gql.data("{ users(limit: 1000) { count data { id } } }", as_=admin))["users"]
    assert {str(user.id), str(other.id)} <= {u["id"] for u in listed["data"]}
    assert listed["count"] >= 3
    assert error_code(await gql.error("{ users { count } }", as_=user)) == "FORBIDDEN"

    # Deactivated users keep their rows but lose their tokens and logins.
    assert error_code(await gql.error(DELETE_USER, {"id": str(other.id)}, as_=user)) == "FORBIDDEN"
    assert (await gql.data(DELETE_USER, {"id": str(other.id)}, as_=admin))["deleteUser"]["message"]
    assert error_code(await gql.error(ME, as_=other)) == "UNAUTHENTICATED"
    assert error_code(await gql.error(DELETE_USER, {"id": str(admin.id)}, as_=admin)) == "CONFLICT"


async def test_organization_rename_leave_and_delete(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, member = await accounts.user(), await accounts.user()
    org = (await gql.data(CREATE_ORG, {"name": "Old"}, as_=owner))["createOrganization"]["id"]
    await gql.data(ADD_MEMBER, {"org": org, "user": str(member.id), "role": "MEMBER"}, as_=owner)
    rename = "mutation($id: UUID!, $n: String!) { updateOrganization(id: $id, name: $n) { name role } }"
    assert (await gql.data(rename, {"id": org, "n": "New"}, as_=owner))["updateOrganization"] == {
        "name": "New",
        "role": "OWNER",
    }
    assert error_code(await gql.error(rename, {"id": org, "n": "Mine"}, as_=member)) == "FORBIDDEN"

    remove = "mutation($o: UUID!, $u: UUID!) { removeOrganizationMember(organizationId: $o, userId: $u) { message } }"
    # The last owner cannot leave; a member can.
    assert error_code(await gql.error(remove, {"o": org, "u": str(owner.id)}, as_=owner)) == "CONFLICT"
    assert (await gql.data(remove, {"o": org, "u": str(member.id)}, as_=member))["removeOrganizationMember"]
    assert (await gql.data("{ organizations { id } }", as_=member))["organizations"] == []

    delete = "mutation($id: UUID!) { deleteOrganization(id: $id) { message } }"
    shot = {"name": f"org-shot-{uuid.uuid4().hex[:6]}", "viewAngle": "FRONT", "framing": "FULL_BODY"}
    create_shot = "mutation($i: ShotTypeCreate!, $o: UUID) { createShotType(input: $i, organizationId: $o) { id } }"
    await gql.data(create_shot, {"i": shot, "o": org}, as_=owner)
    assert error_code(await gql.error(delete, {"id": org}, as_=owner)) == "CONFLICT"
    empty = (await gql.data(CREATE_ORG, {"name": "Empty"}, as_=owner))["createOrganization"]["id"]
    assert (await gql.data(delete, {"id": empty}, as_=owner))["deleteOrganization"]["message"]
    assert error_code(await gql.error(delete, {"id": empty}, as_=owner)) == "NOT_FOUND"


async def test_an_organization_always_keeps_an_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    owner, second = await accounts.user(), await accounts.user()
    org = (await gql.data(CREATE_ORG, {"name": "Kept"}, as_=owner))["createOrganization"]["id"]
    demote = {"org": org, "user": str(owner.id), "role": "MEMBER"}
    # The last owner cannot demote themselves...
    error = await gql.error(ADD_MEMBER, demote, as_=owner)
    assert (error_code(error), error["message"]) == ("CONFLICT", "An organization needs at least one owner")
    # ...but can once there is another owner, and then the other cannot leave nor be demoted.
    await gql.data(ADD_MEMBER, {"org": org, "user": str(second.id), "role": "OWNER"}, as_=owner)
    assert (await gql.data(ADD_MEMBER, demote, as_=owner))["addOrganizationMember"]["role"] == "MEMBER"
    remove = "mutation($o: UUID!, $u: UUID!) { removeOrganizationMember(organizationId: $o, userId: $u) { message } }"
    assert error_code(await gql.error(remove, {"o": org, "u": str(second.id)}, as_=second)) == "CONFLICT"
    self_demote = {"org": org, "user": str(second.id), "role": "MEMBER"}
    assert error_code(await gql.error(ADD_MEMBER, self_demote, as_=second)) == "CONFLICT"


async def test_two_owners_leaving_at_once_leave_one_owner(gql: GraphQLClient, accounts: Accounts) -> None:
    first, second = await accounts.user(), await accounts.user()
    org = (await gql.data(CREATE_ORG, {"name": "Race"}, as_=first))["createOrganization"]["id"]
    await gql.data(ADD_MEMBER, {"org": org, "user": str(second.id), "role": "OWNER"}, as_=first)
    remove = "mutation($o: UUID!, $u: UUID!) { removeOrganizationMember(organizationId: $o, userId: $u) { message } }"
    answers = await asyncio.gather(
        *(gql(remove, {"o": org, "u": str(account.id)}, as_=account) for account in (first, second))
    )
    codes = sorted(error_code(body["errors"][0]) if body.get("errors") else "OK" for body in answers)
    assert codes == ["CONFLICT", "OK"]


async def test_adding_one_member_twenty_times_at_once_is_one_membership(
    gql: GraphQLClient, accounts: Accounts, live_server: str
) -> None:
    owner, member = await accounts.user(), await accounts.user()
    org = (await gql.data(CREATE_ORG, {"name": "Busy"}, as_=owner))["createOrganization"]["id"]
    body = {"query": ADD_MEMBER, "variables": {"org": org, "user": str(member.id), "role": "MEMBER"}}
    # Twenty connections to the real server, as twenty browser tabs would send them.
    async with httpx.AsyncClient(base_url=f"http://{live_server}", headers=owner.headers) as client:
        responses = await asyncio.gather(*(client.post("/graphql", json=body) for _ in range(20)))
    answers = [response.json() for response in responses]
    assert [body.get("errors") for body in answers] == [None] * 20
    assert {body["data"]["addOrganizationMember"]["userId"] for body in answers} == {str(member.id)}
    organizations = (await gql.data("{ organizations { id role } }", as_=member))["organizations"]
    assert organizations == [{"id": org, "role": "MEMBER"}]
