"""Fixed-window attempt counters in Redis, shared by every API process."""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

# Checking the count and recording the attempt must be one step: when they were two, 30 logins sent at once all
# read "4 failures so far" before any of them recorded its own, and 15 passwords were tried instead of 5. A Lua
# script runs atomically in Redis, on every process's behalf. Refused attempts do not count (the count stops at
# the limit), and the window opens with the first attempt; PEXPIRE on a fresh key works on Redis 6 too.
# Answers {allowed (1 or 0), milliseconds left in the window}.
_RESERVE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then
  count = redis.call('INCR', KEYS[1])
  if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
  return {1, ttl}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {0, ttl}
"""

# Gives back an attempt that never reached a verdict (the database was unreachable): it must not use up the
# caller's allowance. Never below zero, and the window keeps its end.
_RELEASE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return count
"""


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    # Seconds until the window ends and attempts are counted afresh (at least 1 while refused).
    retry_after: int


class FailureLimiter:
    """At most `limit` attempts per key within a window, unless a success resets the count.

    `reserve` counts an attempt before it is tried (atomically, so concurrent attempts cannot all slip through);
    `reset` after a success forgets the key; `release` gives back an attempt that ended without a verdict."""

    def __init__(self, redis: Redis, *, prefix: str, limit: int, window_seconds: int = 60) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_seconds = window_seconds
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def reserve(self, key: str) -> Reservation:
        allowed, ttl_ms = await self._reserve(keys=[self._key(key)], args=[self.limit, self.window_seconds * 1000])
        return Reservation(allowed=bool(allowed), retry_after=max(1, math.ceil(int(ttl_ms) / 1000)))

    async def release(self, key: str) -> None:
        await self._release(keys=[self._key(key)])

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
