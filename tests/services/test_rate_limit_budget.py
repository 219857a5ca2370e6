"""The cost budget's token buckets (services/rate_limit.py CostBudget) as API processes share them: two CostBudget
instances on two Redis connections are two processes, on the real Redis. What an operation sees is whether its
reservation is taken or refused; settlements (the unused part given back, or the excess taken) travel with the
caller's next reservation on the same process, or in a flush, and must reach the other process either way."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from core.embedded import free_port
from core.settings import Settings
from services.rate_limit import SETTLE_DELAY_SECONDS, CostBudget
from services.resources import Resources

# Refill is a sixtieth of the capacity a second: every figure below keeps a margin of at least 100 tokens (6 s of
# refill), so that a slow machine cannot turn a refusal into a reservation.
CAPACITY = 1000
# A settlement that is never sent on its own during a test: only a reservation, a flush or close sends it.
HELD = 3600.0


@dataclass
class SharedRedis:
    """Two connections to the test Redis, one per "process", and this test's own key prefix."""

    first: Redis
    second: Redis
    prefix: str


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[SharedRedis]:
    shared = SharedRedis(
        Redis.from_url(settings.redis_url),
        Redis.from_url(settings.redis_url),
        f"studio-test-budget-{uuid.uuid4().hex[:8]}",
    )
    yield shared
    keys = [key async for key in shared.first.scan_iter(match=f"{shared.prefix}*")]
    if keys:
        await shared.first.delete(*keys)
    await shared.first.aclose()
    await shared.second.aclose()


def processes(redis: SharedRedis, *, settle_delay: float = HELD) -> tuple[CostBudget, CostBudget]:
    return (
        CostBudget(redis.first, prefix=redis.prefix, settle_delay=settle_delay),
        CostBudget(redis.second, prefix=redis.prefix, settle_delay=settle_delay),
    )


async def taken(budget: CostBudget, cost: int, caller: str = "user:1") -> bool:
    wait_ms = await budget.reserve(caller, cost, CAPACITY)
    assert wait_ms is None or wait_ms > 0
    return wait_ms is None


async def test_two_processes_share_one_budget(redis: SharedRedis) -> None:
    a, b = processes(redis)
    assert await taken(a, 600)
    assert not await taken(b, 600)  # 400 left, whichever process asks
    assert await taken(b, 300)
    # Reservations sent at once from both processes never spend the same tokens twice: a fresh caller's 1000 is
    # ten reservations of 100.
    outcomes = await asyncio.gather(*(taken(budget, 100, "user:2") for budget in (a, b) * 8))
    assert outcomes.count(True) == 10


async def test_a_refund_reaches_redis_with_the_callers_next_reservation(redis: SharedRedis) -> None:
    a, b = processes(redis)
    assert await taken(a, 900)
    await a.settle("user:1", 900, 100, CAPACITY)  # 800 to give back, held in process a
    assert not await taken(b, 500)  # 100 left in Redis: b cannot see a refund a still holds
    assert await taken(a, 500)  # 100 + 800 - 500: the refund went with the reservation
    assert await taken(b, 300)  # 400 left, as b now sees
    assert not await taken(a, 300)  # 100 left: the refund was given back once


async def test_a_refused_reservation_still_gives_back_the_pending_refund(redis: SharedRedis) -> None:
    a, b = processes(redis)
    assert await taken(a, 900)
    await a.settle("user:1", 900, 500, CAPACITY)  # 400 to give back
    assert not await taken(a, 700)  # 100 + 400 < 700: refused, and the 400 went back all the same
    assert await taken(b, 450)


async def test_a_flush_sends_every_callers_refund_and_debt(redis: SharedRedis) -> None:
    a, b = processes(redis)
    assert await taken(a, 500, "user:x") and await taken(a, 500, "user:y")
    await a.settle("user:x", 500, 0, CAPACITY)  # 500 to give back
    await a.settle("user:y", 500, 900, CAPACITY)  # the answer held 400 more than its price: taken as debt
    assert not await taken(b, 800, "user:x")
    await a.flush()
    assert await taken(b, 800, "user:x")  # 500 + 500 - 800 = 200 left
    assert not await taken(b, 200, "user:y")  # 500 - 400 = 100 left
    assert not await taken(a, 300, "user:x")  # a sent its refund in the flush and not again


async def test_a_refund_reaches_other_processes_without_another_operation(redis: SharedRedis) -> None:
    a, b = processes(redis, settle_delay=SETTLE_DELAY_SECONDS)
    assert await taken(a, 900)
    await a.settle("user:1", 900, 0, CAPACITY)
    # Refused reservations take nothing, so b may ask until the flush a scheduled has given the 900 back
    # (SETTLE_DELAY_SECONDS after the settlement; refill alone would take 42 s to make room for 800).
    for _ in range(200):
        if await taken(b, 800):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the refund never reached the other process")


async def test_close_sends_what_is_pending(redis: SharedRedis) -> None:
    a, b = processes(redis)
    assert await taken(a, 900, "user:x") and await taken(a, 900, "user:y")
    await a.settle("user:x", 900, 0, CAPACITY)
    await a.settle("user:y", 900, 0, CAPACITY)
    await a.close()
    assert await taken(b, 800, "user:x") and await taken(b, 800, "user:y")


async def test_a_flush_redis_cannot_take_logs_one_line_and_drops_the_settlements(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    budget = CostBudget(unreachable, prefix="studio-test-budget-unreachable", settle_delay=HELD)
    try:
        for n in range(3):
            await budget.settle(f"user:{n}", 100, 1, CAPACITY)
        with caplog.at_level(logging.WARNING, logger="services.rate_limit"):
            await budget.flush()
            await budget.close()  # nothing left to send: the failed flush dropped what it held
        lines = [record.getMessage() for record in caplog.records if record.name == "services.rate_limit"]
        assert len(lines) == 1
        assert lines[0].startswith("Cost budget unreachable, unused cost not refunded: ConnectionRefusedError")
    finally:
        await unreachable.aclose()


async def test_a_process_ending_sends_its_pending_refunds(settings: Settings, redis: SharedRedis) -> None:
    ending = Resources.open(settings.model_copy(update={"redis_prefix": redis.prefix}))
    budget = ending.cost_budget
    budget.settle_delay = HELD  # nothing but the shutdown sends it
    assert await taken(budget, 900)
    await budget.settle("user:1", 900, 0, CAPACITY)
    await ending.close()
    assert await taken(CostBudget(redis.second, prefix=ending.redis_key("cost-budget")), 800)
