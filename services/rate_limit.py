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
