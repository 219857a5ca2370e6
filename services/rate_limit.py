"""Fixed-window counters in Redis, shared by every API process."""

from __future__ import annotations

from redis.asyncio import Redis


class FailureLimiter:
    """Counts failures per key within a window; `blocked` once `limit` failures happened in it."""

    def __init__(self, redis: Redis, *, prefix: str, limit: int, window_seconds: int = 60) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_seconds = window_seconds

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def blocked(self, key: str) -> bool:
        count = await self.redis.get(self._key(key))
        return count is not None and int(count) >= self.limit

    async def record_failure(self, key: str) -> None:
        full_key = self._key(key)
        # SET NX EX opens the window once and INCR counts in it, atomically (MULTI); unlike EXPIRE NX this works
        # on Redis 6, which the embedded server may be.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(full_key, 0, ex=self.window_seconds, nx=True)
            pipe.incr(full_key)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self.redis.delete(self._key(key))
