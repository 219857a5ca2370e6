"""The outage rules every job shares (jobs/retrying.py), and progress announcements that cannot fail a job, met
with the errors the drivers really raise when the path to the server is cut (tests/tcp_proxy.py)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import Retry
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.settings import Settings
from db.engine import create_engine
from jobs.retrying import OutageGaveUp, outage_delay, retried_on_outage
from services.progress import announce, task_channel
from tests.tcp_proxy import TcpProxy


@dataclasses.dataclass
class _Resources:
    settings: Settings


@pytest.fixture
async def database_error(settings: Settings) -> AsyncIterator[BaseException]:
    """What a statement raises when PostgreSQL's connection is cut under it (SQLAlchemy around asyncpg)."""
    assert settings.database_url
    url = make_url(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await proxy.cut()
            with pytest.raises(Exception) as caught:
                await connection.execute(text("SELECT 1"))
        yield caught.value
    finally:
        await engine.dispose()
        await proxy.cut()


def _ctx(settings: Settings, job_try: int) -> dict[str, Any]:
    return {"resources": _Resources(settings), "job_try": job_try}


async def test_an_outage_in_a_job_is_a_retry_with_a_growing_delay_until_the_last_try(
    settings: Settings, database_error: BaseException
) -> None:
    tuned = settings.model_copy(update={"job_outage_retry_seconds": 5.0, "job_outage_max_tries": 8})
    delays = []
    for attempt in range(1, 8):
        with pytest.raises(Retry) as retry:
            async with retried_on_outage(_ctx(tuned, attempt), "a job"):
                raise database_error
        delays.append(retry.value.defer_score)
    assert delays == [5000, 10000, 20000, 40000, 60000, 60000, 60000]  # milliseconds, capped at a minute
    assert [outage_delay(tuned, attempt) for attempt in (1, 2, 3)] == [5.0, 10.0, 20.0]

    with pytest.raises(OutageGaveUp) as gave_up:
        async with retried_on_outage(_ctx(tuned, 8), "a job"):
            raise database_error
    assert str(gave_up.value) == "PostgreSQL or Redis stayed unreachable through 8 tries; the job was stopped"


async def test_other_errors_are_not_retried_as_outages(settings: Settings) -> None:
    with pytest.raises(ValueError, match="a bug"):
        async with retried_on_outage(_ctx(settings, 1), "a job"):
            raise ValueError("a bug")


async def test_an_announcement_without_redis_is_dropped_not_raised(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.redis_url
    url = make_url(settings.redis_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 6379)
    await proxy.start()
    redis = Redis.from_url(f"redis://127.0.0.1:{proxy.port}/0")
    channel = task_channel(settings, uuid.uuid4())
    try:
        assert await announce(redis, channel) is True
        await proxy.cut()
        with caplog.at_level("WARNING", logger="services.progress"):
            assert await announce(redis, channel) is False
        await proxy.restore()
        assert await announce(redis, channel) is True
    finally:
        await redis.aclose()
        await proxy.cut()
    [record] = caplog.records
    assert record.getMessage().startswith(f"progress announcement on {channel} dropped: ConnectionError")
    assert "Traceback" not in caplog.text
