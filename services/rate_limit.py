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


# A token bucket per caller: `capacity` tokens, refilled continuously at capacity a minute, in one script so that
# concurrent requests on any number of processes never spend the same tokens twice. A positive amount is taken only
# when that many tokens are there (else nothing is taken and the answer is the milliseconds until they will be),
# unless forced (an answer that held more than its price: the bucket goes into debt, which refilling pays back); a
# negative one gives tokens back, never past capacity. Redis's own clock is used, so processes need not agree on
# theirs. A bucket idle for a minute is full again, so the key expires then.
_BUCKET_SCRIPT = """
local capacity = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local forced = ARGV[3] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local per_ms = capacity / 60000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
if amount > 0 and amount > tokens and not forced then
  return {0, math.ceil((amount - tokens) / per_ms)}
end
tokens = math.min(capacity, tokens - amount)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return {1, 0}
"""


class CostBudget:
    """Each caller's budget of query cost a minute (docs/api.md, "Limits and cost"): an operation reserves what
    it may cost before it runs, and gets back what it did not use once answered."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)

    async def reserve(self, caller: str, cost: int, per_minute: int) -> int | None:
        """Takes `cost` from the caller's budget of `per_minute`: None when taken, else the milliseconds until it
        could be."""
        if cost <= 0:
            return None
        taken, wait_ms = await self._script(keys=[self._key(caller)], args=[per_minute, cost, 0])
        return None if taken else int(wait_ms)

    async def settle(self, caller: str, reserved: int, used: int, per_minute: int) -> None:
        """Gives back what a reservation did not use (or takes what the answer used beyond it)."""
        if used != reserved:
            await self._script(keys=[self._key(caller)], args=[per_minute, used - reserved, 1])

    def _key(self, caller: str) -> str:
        return f"{self.prefix}:{caller}"
