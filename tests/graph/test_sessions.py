"""Sessions (docs/api.md, "Users and organizations"): `logout` revokes the token it is sent with; a password change
or a deactivation revokes every earlier token of the user; a revoked token is UNAUTHENTICATED at once on every API
process, and a websocket opened with it is closed with 4401 within SUBSCRIPTION_RECHECK_SECONDS.

Everything goes through GraphQL over real HTTP (the live server, and a second API process started as a deployment
starts it) and real websockets.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from core.settings import Settings
from db.models import RevokedToken
from graph.websocket_sessions import token_checks
from tests.api_process import start_api_process
from tests.conftest import Account, Accounts, GraphQLClient, error_code
from tests.jobs.conftest import worker_environment
from tests.jobs.lora_helpers import make_subject
from tests.jobs.subscription_helpers import (
    PROGRESS,
    data_of,
    finish_tasks,
    processing_tasks,
    subscribed,
)
from tests.statements import count_statements
from tests.websocket_frames import receive_message

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }"
LOGOUT = "mutation { logout { message } }"
ME = "{ me { id } }"
UPDATE_USER = "mutation($id: UUID!, $input: UserUpdate!) { updateUser(id: $id, input: $input) { id isActive } }"
DELETE_USER = "mutation($id: UUID!) { deleteUser(id: $id) { message } }"
REVOKED = {
    "message": "This token was revoked (logout, password change or deactivation); log in again",
    "locations": [{"line": 1, "column": 3}],
    "path": ["me"],
    "extensions": {"code": "UNAUTHENTICATED"},
}


@pytest.fixture
async def api(live_server: str) -> AsyncIterator[GraphQLClient]:
    """GraphQL over real HTTP, to the live server."""
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        yield GraphQLClient(client)


async def login(api: GraphQLClient, account: Account, password: str = PASSWORD) -> Account:
    """A new session of the account's user: the same user with the token `login` answers."""
    data = await api.data(LOGIN, {"email": account.user.email, "password": password})
    return Account(user=account.user, token=data["login"]["accessToken"])


async def me(api: GraphQLClient, session: Account) -> dict[str, Any]:
    """The whole answer to `{ me { id } }` with this session's token."""
    return await api(ME, as_=session)


def works(answer: dict[str, Any], session: Account) -> bool:
    return answer == {"data": {"me": {"id": str(session.id)}}, "extensions": answer.get("extensions")}


async def test_logout_revokes_the_token_it_is_sent_with_and_no_other(api: GraphQLClient, accounts: Accounts) -> None:
    account = await accounts.user(password=PASSWORD)
    first, second = await login(api, account), await login(api, account)
    assert works(await me(api, first), first) and works(await me(api, second), second)

    assert await api.data(LOGOUT, as_=first) == {"logout": {"message": "Logged out"}}
    answer = await me(api, first)
    assert answer["data"] is None and answer["errors"] == [REVOKED]
    assert works(await me(api, second), second)
    # Logging out again with the revoked token: it no longer names anyone.
    assert error_code(await api.error(LOGOUT, as_=first)) == "UNAUTHENTICATED"
    # A token is not revoked by another one logging out, nor by a new login.
    third = await login(api, account)
    assert works(await me(api, second), second) and works(await me(api, third), third)
    assert error_code(await api.error(LOGOUT)) == "UNAUTHENTICATED"


async def test_logout_prunes_records_of_tokens_that_have_expired_anyway(
    api: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    account = await accounts.user(password=PASSWORD)
    expired_jti = uuid.uuid4()
    async with session_factory() as session, session.begin():
        expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(RevokedToken(jti=expired_jti, user_id=account.id, expires_at=expires_at))
    session_token = await login(api, account)
    await api.data(LOGOUT, as_=session_token)
    async with session_factory() as session:
        kept = set(await session.scalars(select(RevokedToken.jti).where(RevokedToken.user_id == account.id)))
    token_jti = uuid.UUID(jwt.decode(session_token.token, options={"verify_signature": False})["jti"])
    assert kept == {token_jti}


async def test_a_password_change_revokes_every_earlier_token_and_the_new_password_logs_in(
    api: GraphQLClient, accounts: Accounts
) -> None:
    account = await accounts.user(password=PASSWORD)
    first, second = await login(api, account), await login(api, account)
    # Other changes leave sessions alone.
    await api.data(UPDATE_USER, {"id": str(account.id), "input": {"fullName": "Renamed"}}, as_=first)
    assert works(await me(api, second), second)

    changed = await api.data(UPDATE_USER, {"id": str(account.id), "input": {"password": NEW_PASSWORD}}, as_=first)
    assert changed == {"updateUser": {"id": str(account.id), "isActive": True}}
    for earlier in (first, second, account):  # the token of the change itself, another login, a direct token
        answer = await me(api, earlier)
        assert answer["errors"] == [REVOKED]
    assert error_code(await api.error(LOGIN, {"email": account.user.email, "password": PASSWORD})) == (
        "UNAUTHENTICATED"
    )
    fresh = await login(api, account, NEW_PASSWORD)
    assert works(await me(api, fresh), fresh)


async def test_a_superuser_setting_a_password_revokes_that_users_tokens(api: GraphQLClient, accounts: Accounts) -> None:
    account, admin = await accounts.user(password=PASSWORD), await accounts.user(superuser=True)
    await api.data(UPDATE_USER, {"id": str(account.id), "input": {"password": NEW_PASSWORD}}, as_=admin)
    assert (await me(api, account))["errors"] == [REVOKED]
    assert works(await me(api, admin), admin)


async def test_deactivation_revokes_every_token_for_good(api: GraphQLClient, accounts: Accounts) -> None:
    account, admin = await accounts.user(password=PASSWORD), await accounts.user(superuser=True)
    session = await login(api, account)
    assert (await api.data(DELETE_USER, {"id": str(account.id)}, as_=admin))["deleteUser"] == {
        "message": "User deactivated"
    }
    assert (await me(api, session))["errors"] == [REVOKED]
    # Reactivated, the user logs in again; the tokens from before the deactivation stay dead.
    await api.data(UPDATE_USER, {"id": str(account.id), "input": {"isActive": True}}, as_=admin)
    assert (await me(api, session))["errors"] == [REVOKED]
    again = await login(api, account)
    assert works(await me(api, again), again)
    # Deactivating through updateUser revokes as deleteUser does.
    await api.data(UPDATE_USER, {"id": str(account.id), "input": {"isActive": False}}, as_=admin)
    assert (await me(api, again))["errors"] == [REVOKED]


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({}, id="issued before sessions: no jti, no version"),
        pytest.param({"jti": uuid.uuid4().hex}, id="no version"),
        pytest.param({"ver": 0}, id="no jti"),
        pytest.param({"jti": "not-a-uuid", "ver": 0}, id="malformed jti"),
        pytest.param({"jti": uuid.uuid4().hex, "ver": "0"}, id="version not a number"),
    ],
)
async def test_tokens_without_a_revocable_identity_are_refused(
    api: GraphQLClient, accounts: Accounts, settings: Settings, claims: dict[str, object]
) -> None:
    account = await accounts.user()
    now = datetime.now(UTC)
    base = {"sub": str(account.id), "iat": now, "exp": now + timedelta(minutes=5)}
    token = jwt.encode({**base, **claims}, settings.signing_key, algorithm="HS256")
    error = await api.error(ME, as_=Account(user=account.user, token=token))
    assert (error_code(error), error["message"]) == ("UNAUTHENTICATED", "Invalid or expired token")


async def test_a_second_api_process_refuses_a_revoked_token_at_once(
    api: GraphQLClient, accounts: Accounts, settings: Settings, tmp_path: Path
) -> None:
    second_process = start_api_process(worker_environment(settings, LOG_LEVEL="WARNING"), tmp_path / "api-2.log")
    try:
        await second_process.wait_ready()
        async with httpx.AsyncClient(base_url=second_process.url, timeout=30) as client:
            other = GraphQLClient(client)
            account = await accounts.user(password=PASSWORD)
            first, second = await login(api, account), await login(other, account)
            assert works(await me(other, first), first) and works(await me(api, second), second)

            # Logged out on the live server: the other process refuses the token on its very next request.
            await api.data(LOGOUT, as_=first)
            assert (await me(other, first))["errors"] == [REVOKED]
            assert works(await me(other, second), second)

            # The password changed through the other process: the live server refuses the older token.
            await other.data(UPDATE_USER, {"id": str(account.id), "input": {"password": NEW_PASSWORD}}, as_=second)
            assert (await me(api, second))["errors"] == [REVOKED]
            fresh = await login(other, account, NEW_PASSWORD)
            assert works(await me(api, fresh), fresh)
    finally:
        second_process.stop()


# --- websockets ----------------------------------------------------------------------------------------------------

RECHECK_SECONDS = 0.5
# What closing may take beyond the recheck period: the check's statement and the close handshake.
CLOSE_SLACK_SECONDS = 1.0


async def closed_code(operation: Any, within: float) -> tuple[int | None, float]:
    """The close code the server sent on the operation's websocket, and how long the close took to arrive."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        await operation.next(within)
    received = closed.value.rcvd
    return (received.code if received else None), time.monotonic() - started


async def progress_subscription_fixture(
    api: GraphQLClient, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[Account, str]:
    owner = await accounts.user(password=PASSWORD)
    subject_id = await make_subject(api, owner)
    (task_id,) = await processing_tasks(session_factory, owner, subject_id, 1)
    return owner, task_id


async def test_a_websocket_opened_with_a_logged_out_token_is_closed_with_4401(
    api: GraphQLClient,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner, task_id = await progress_subscription_fixture(api, accounts, session_factory)
    revoked, kept = await login(api, owner), await login(api, owner)
    async with (
        subscribed(live_server, revoked, PROGRESS, {"id": task_id}) as revoked_operation,
        subscribed(live_server, kept, PROGRESS, {"id": task_id}) as kept_operation,
    ):
        assert data_of(await revoked_operation.next())["status"] == "PROCESSING"
        assert data_of(await kept_operation.next())["status"] == "PROCESSING"
        # A socket whose token stays valid is not closed by the checks.
        await revoked_operation.nothing_for(2 * RECHECK_SECONDS)

        await api.data(LOGOUT, as_=revoked)
        code, took = await closed_code(revoked_operation, RECHECK_SECONDS + CLOSE_SLACK_SECONDS)
        assert code == 4401
        assert revoked_operation.ws.close_reason == REVOKED["message"]
        assert took <= RECHECK_SECONDS + CLOSE_SLACK_SECONDS

        # The other session's subscription lives on, and sees the task through.
        await kept_operation.nothing_for(2 * RECHECK_SECONDS)
        await finish_tasks(session_factory, [task_id])
        messages = await kept_operation.until_done()
        assert data_of(messages[-2])["status"] == "COMPLETED"
        assert messages[-1] == {"id": "1", "type": "complete"}


async def test_every_websocket_of_a_user_whose_password_changed_is_closed_with_4401(
    api: GraphQLClient,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner, task_id = await progress_subscription_fixture(api, accounts, session_factory)
    first, second = await login(api, owner), await login(api, owner)
    async with (
        subscribed(live_server, first, PROGRESS, {"id": task_id}) as first_operation,
        subscribed(live_server, second, PROGRESS, {"id": task_id}) as second_operation,
    ):
        await first_operation.next()
        await second_operation.next()
        await api.data(UPDATE_USER, {"id": str(owner.id), "input": {"password": NEW_PASSWORD}}, as_=first)
        closes = await asyncio.gather(
            *(
                closed_code(operation, RECHECK_SECONDS + CLOSE_SLACK_SECONDS)
                for operation in (first_operation, second_operation)
            )
        )
        assert [code for code, _ in closes] == [4401, 4401]


async def test_a_websocket_whose_token_expires_is_closed_with_4401(
    api: GraphQLClient,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner, task_id = await progress_subscription_fixture(api, accounts, session_factory)
    now = datetime.now(UTC)
    claims = {"sub": str(owner.id), "iat": now, "exp": now + timedelta(seconds=2), "jti": uuid.uuid4().hex, "ver": 0}
    short_lived = Account(user=owner.user, token=jwt.encode(claims, settings.signing_key, algorithm="HS256"))
    async with subscribed(live_server, short_lived, PROGRESS, {"id": task_id}) as operation:
        assert data_of(await operation.next())["status"] == "PROCESSING"
        code, _ = await closed_code(operation, 2 + RECHECK_SECONDS + CLOSE_SLACK_SECONDS)
        assert (code, operation.ws.close_reason) == (4401, "The token has expired; log in again")


async def test_the_legacy_graphql_ws_protocol_is_closed_with_4401_too(
    api: GraphQLClient,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner, task_id = await progress_subscription_fixture(api, accounts, session_factory)
    session = await login(api, owner)
    async with connect(f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {session.token}"}}))
        assert (await receive_message(ws, 10))["type"] == "connection_ack"
        start = {"id": "1", "type": "start", "payload": {"query": PROGRESS, "variables": {"id": task_id}}}
        await ws.send(json.dumps(start))
        message = await receive_message(ws, 10)
        while message["type"] == "ka":  # the protocol's keep-alive
            message = await receive_message(ws, 10)
        assert message["type"] == "data" and message["payload"]["data"]["uploadTaskProgress"]["id"] == task_id

        await api.data(LOGOUT, as_=session)
        with pytest.raises(ConnectionClosed):
            while True:  # keep-alives until the close
                assert (await receive_message(ws, RECHECK_SECONDS + CLOSE_SLACK_SECONDS))["type"] == "ka"
        assert (ws.close_code, ws.close_reason) == (4401, REVOKED["message"])


async def test_the_open_websockets_of_a_process_are_checked_in_one_statement_per_round(
    app: Starlette,
    api: GraphQLClient,
    live_server: str,
    accounts: Accounts,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "subscription_recheck_seconds", RECHECK_SECONDS)
    owner = await accounts.user(password=PASSWORD)
    sessions = [await login(api, owner) for _ in range(20)]
    checks = token_checks(app.state.resources)
    async with AsyncExitStack() as stack:
        for session in sessions:
            ws = await stack.enter_async_context(
                connect(f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")])
            )
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {session.token}"}})
            )
            assert (await receive_message(ws, 10))["type"] == "connection_ack"
        assert checks.watched_count == 20
        # A round every half recheck period: 4 in this second, whatever the number of sockets (20 here).
        with count_statements(app) as log:
            await asyncio.sleep(2 * RECHECK_SECONDS)
        rounds = len(log.reading("revoked_tokens"))
        assert 1 <= rounds <= 6, log.tables()
    # Closed sockets are watched no more (once the server has seen each close: within 10 s).
    for _ in range(200):
        if not checks.watched_count:
            break
        await asyncio.sleep(0.05)
    assert checks.watched_count == 0
