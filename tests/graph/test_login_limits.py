"""Login limits that hold: per email and client address, where the address cannot be picked by the attacker
(X-Forwarded-For counts only through FORWARDED_ALLOW_IPS proxies), and where concurrent attempts cannot check
more passwords than the limit allows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import services.users
from core.settings import Settings
from services.rate_limit import FailureLimiter
from tests.api_process import ApiProcess, start_api_process
from tests.conftest import Accounts
from tests.graph.test_transport import app_behind_proxies
from tests.jobs.conftest import worker_environment

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""
ME = "{ me { email } }"
TOKEN_PATH = "/api/v1/login/access-token"
LIMIT = 5  # login_attempts_per_minute in the test settings


async def graphql_login(
    client: httpx.AsyncClient, email: str, password: str, forwarded_for: str | None = None
) -> dict[str, Any]:
    """The answer to the `login` mutation: `{"token": ...}` or `{"code": ..., "retryAfter": ...}`."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        (error,) = body["errors"]
        return {key: error["extensions"].get(key) for key in ("code", "retryAfter")}
    return {"token": body["data"]["login"]["accessToken"]}


async def token_login(
    client: httpx.AsyncClient, email: str, password: str, forwarded_for: str | None = None
) -> tuple[int, str | None]:
    """The token endpoint's status and Retry-After header."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await client.post(TOKEN_PATH, data={"username": email, "password": password}, headers=headers)
    return response.status_code, response.headers.get("retry-after")


def codes(answers: list[dict[str, Any]]) -> list[str]:
    return [answer.get("code", "token") for answer in answers]


def assert_retry_after_within_the_window(seconds: object) -> None:
    assert isinstance(seconds, int) and 1 <= seconds <= 60, seconds


@pytest.fixture
async def api_processes(settings: Settings, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """API processes started as production starts them (`api_command`, so uvicorn's own options included)."""
    started: list[ApiProcess] = []

    async def start(forwarded_allow_ips: str | None) -> ApiProcess:
        env = worker_environment(settings, LOG_LEVEL="WARNING")
        # Unset, not empty: uvicorn reads the same variable, and when it is unset trusts 127.0.0.1, so a
        # uvicorn still handling proxy headers would let the loopback test client pick its address.
        env.pop("FORWARDED_ALLOW_IPS", None)
        if forwarded_allow_ips is not None:
            env["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        api = start_api_process(env, tmp_path / f"api-{len(started) + 1}.log")
        started.append(api)
        await api.wait_ready()
        return api

    yield start
    for api in started:
        api.stop()


async def test_forwarded_for_from_an_untrusted_peer_cannot_escape_the_limit(
    api_processes: Callable[..., Any], accounts: Accounts
) -> None:
    # FORWARDED_ALLOW_IPS unset: the loopback peer is no proxy of ours, and each request claims a new client.
    api = await api_processes(None)
    graphql_account, token_account = await accounts.user(), await accounts.user()
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        answers = [
            await graphql_login(client, graphql_account.user.email, "wrong-password", f"203.0.113.{i}")
            for i in range(20)
        ]
        assert codes(answers) == ["UNAUTHENTICATED"] * LIMIT + ["RATE_LIMITED"] * 15
        for answer in answers[LIMIT:]:
            assert_retry_after_within_the_window(answer["retryAfter"])

        statuses = [
            await token_login(client, token_account.user.email, "wrong-password", f"198.51.100.{i}") for i in range(20)
        ]
    assert [status for status, _ in statuses] == [400] * LIMIT + [429] * 15
    for _, retry_after in statuses[LIMIT:]:
        assert retry_after is not None
        assert_retry_after_within_the_window(int(retry_after))


async def test_through_a_trusted_proxy_each_forwarded_client_is_counted_apart(
    api_processes: Callable[..., Any], accounts: Accounts
) -> None:
    # The test client stands for our proxy at 127.0.0.1; it forwards for three different clients.
    api = await api_processes("127.0.0.0/8")
    account = await accounts.user(password="the-right-password")
    email = account.user.email
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        first = [await graphql_login(client, email, "wrong-password", "203.0.113.1") for _ in range(LIMIT)]
        second = [await graphql_login(client, email, "wrong-password", "203.0.113.2") for _ in range(LIMIT)]
        assert codes(first + second) == ["UNAUTHENTICATED"] * (2 * LIMIT)
        # Each has used its allowance; a third client has not, and logs in.
        assert codes([await graphql_login(client, email, "the-right-password", "203.0.113.1")]) == ["RATE_LIMITED"]
        assert codes([await graphql_login(client, email, "the-right-password", "203.0.113.2")]) == ["RATE_LIMITED"]
        assert codes([await graphql_login(client, email, "the-right-password", "203.0.113.3")]) == ["token"]

        # A client writing its own X-Forwarded-For in front of what the proxy appended is still the address the
        # proxy saw: inventing a new left part for every try changes nothing.
        token_statuses = [
            await token_login(client, email, "wrong-password", f"6.6.{i}.6, 198.51.100.7") for i in range(LIMIT + 3)
        ]
        assert [status for status, _ in token_statuses] == [400] * LIMIT + [429] * 3
        # Garbage from the proxy falls back to the proxy's own address, a key of its own: never an error.
        assert (await token_login(client, email, "wrong-password", "not-an-address"))[0] == 400


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every password verification the login path makes, in this process (the real function still decides)."""
    checks: list[bool] = []
    verify = services.users.verify_password

    def counted(password: str, password_hash: str | None) -> bool:
        result = verify(password, password_hash)
        checks.append(result)
        return result

    monkeypatch.setattr(services.users, "verify_password", counted)
    return checks


async def test_thirty_parallel_wrong_logins_check_only_five_passwords(
    live_server: str, accounts: Accounts, password_checks: list[bool]
) -> None:
    account = await accounts.user()
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        answers = await asyncio.gather(
            *(graphql_login(client, account.user.email, "wrong-password") for _ in range(30))
        )
    assert len(password_checks) == LIMIT
    assert sorted(codes(answers)) == ["RATE_LIMITED"] * 25 + ["UNAUTHENTICATED"] * LIMIT


async def test_thirty_parallel_wrong_token_requests_check_only_five_passwords(
    live_server: str, accounts: Accounts, password_checks: list[bool]
) -> None:
    account = await accounts.user()
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60) as client:
        statuses = await asyncio.gather(*(token_login(client, account.user.email, "wrong-password") for _ in range(30)))
    assert len(password_checks) == LIMIT
    assert sorted(status for status, _ in statuses) == [400] * LIMIT + [429] * 25


async def test_a_correct_login_below_the_limit_works_and_starts_the_count_afresh(
    live_server: str, accounts: Accounts
) -> None:
    account = await accounts.user(password="the-right-password")
    email = account.user.email
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=30) as client:
        wrong = [await graphql_login(client, email, "wrong-password") for _ in range(LIMIT - 1)]
        assert codes(wrong) == ["UNAUTHENTICATED"] * (LIMIT - 1)
        login = await graphql_login(client, email, "the-right-password")
        me = await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {login['token']}"})
        assert me.json()["data"] == {"me": {"email": email}}
        # The success forgot the four failures: a full allowance again, then the limit.
        again = [await graphql_login(client, email, "wrong-password") for _ in range(LIMIT)]
        assert codes(again) == ["UNAUTHENTICATED"] * LIMIT
        assert codes([await graphql_login(client, email, "the-right-password")]) == ["RATE_LIMITED"]


async def test_the_limiter_reserves_atomically_and_gives_back_an_attempt_without_a_verdict(app: Starlette) -> None:
    resources = app.state.resources
    limiter = FailureLimiter(resources.redis, prefix=resources.redis_key("limiter-test"), limit=3, window_seconds=60)
    reservations = await asyncio.gather(*(limiter.reserve("k") for _ in range(10)))
    assert [reservation.allowed for reservation in reservations].count(True) == 3
    # Refused attempts do not add to the count, and the window keeps the end the first attempt gave it.
    assert await resources.redis.get(resources.redis_key("limiter-test:k")) in (b"3", "3")
    assert all(55 <= reservation.retry_after <= 60 for reservation in reservations)
    await limiter.release("k")
    assert (await limiter.reserve("k")).allowed
    assert not (await limiter.reserve("k")).allowed
    await limiter.reset("k")
    await limiter.release("k")  # nothing to give back: never below zero
    assert [(await limiter.reserve("k")).allowed for _ in range(4)] == [True, True, True, False]
    await limiter.reset("k")


async def test_attempts_the_database_could_not_answer_do_not_use_up_the_allowance(
    settings: Settings, accounts: Accounts
) -> None:
    account = await accounts.user(password="the-right-password")
    email = account.user.email
    async with (
        app_behind_proxies(settings) as (app, postgres, _),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        await postgres.cut()
        outage = [await graphql_login(client, email, "wrong-password") for _ in range(LIMIT + 3)]
        assert codes(outage) == ["SERVICE_UNAVAILABLE"] * (LIMIT + 3)
        await postgres.restore()
        answers: list[dict[str, Any]] = []
        for _ in range(LIMIT + 10):
            answer = await graphql_login(client, email, "wrong-password")
            # A connection the pool kept from before the cut may fail once more; that attempt is given back too.
            if answer["code"] != "SERVICE_UNAVAILABLE":
                answers.append(answer)
            if len(answers) == LIMIT + 1:
                break
    assert codes(answers) == ["UNAUTHENTICATED"] * LIMIT + ["RATE_LIMITED"]
