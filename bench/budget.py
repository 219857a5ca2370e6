"""What the cost budget's Redis calls cost an operation (services/rate_limit.py CostBudget, issue 15): each operation
reserves a price and then settles the unused part, as graph/cost_limits.py does, for one caller, one operation after
another and 16 at once. Prints CPU and wall time per operation (best of the rounds) and Redis commands per
operation.

    .venv/bin/python -m bench.budget [--operations 2000] [--rounds 5]

Redis as the other benches choose it (REDIS_URL, else an embedded one). The script uses only `reserve` and `settle`,
whose signatures did not change, so the same file measures main before issue 15's budget change: copy it into that
checkout and run it there (bench/README.md, "speed-budget").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from core.embedded import EmbeddedRedis
from core.settings import get_settings
from services.rate_limit import CostBudget

DATA_DIR = Path(".data/bench")
PER_MINUTE = 10_000_000
# A subject by id's price and what its answer holds (bench/queries.py): the rest is given back.
PRICE, USED = 104, 4


@contextlib.contextmanager
def _redis_url() -> Iterator[str]:
    url = get_settings().redis_url
    if url:
        yield url
        return
    embedded = EmbeddedRedis(DATA_DIR / "redis-budget", durable=False)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


async def _measure(url: str, operations: int, rounds: int) -> None:
    redis = Redis.from_url(url)
    commands = 0
    send = redis.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        nonlocal commands
        commands += 1
        return await send(*args, **options)

    redis.execute_command = counted
    budget = CostBudget(redis, prefix=f"bench-budget-{uuid.uuid4().hex[:8]}")

    async def caller(count: int) -> None:
        for _ in range(count):
            assert await budget.reserve("user:bench", PRICE, PER_MINUTE) is None
            await budget.settle("user:bench", PRICE, USED, PER_MINUTE)

    try:
        for concurrency in (1, 16):
            cpu, wall = [], []
            commands = 0
            for _ in range(rounds):
                started_cpu, started = time.process_time(), time.perf_counter()
                await asyncio.gather(*(caller(operations // concurrency) for _ in range(concurrency)))
                cpu.append((time.process_time() - started_cpu) / operations * 1000)
                wall.append((time.perf_counter() - started) / operations * 1000)
            await asyncio.sleep(0.2)  # a flush still scheduled is counted too
            print(
                f"{concurrency:2d} at once: CPU {min(cpu):.3f} ms/operation, wall {min(wall):.3f} ms/operation "
                f"(best of {rounds} x {operations}), Redis commands {commands / (operations * rounds):.2f}/operation"
            )
    finally:
        close = getattr(budget, "close", None)  # main before the change has none
        if close is not None:
            await close()
        await redis.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.budget", description=__doc__)
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args(argv)
    with _redis_url() as url:
        asyncio.run(_measure(url, arguments.operations, arguments.rounds))


if __name__ == "__main__":
    main()
