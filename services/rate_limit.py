"""Fixed-window attempt counters and token buckets in Redis, shared by every API process."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis

from core.outages import describe_outage, is_outage

logger = logging.getLogger("services.rate_limit")

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
# concurrent requests on any number of processes never spend the same tokens twice. Redis's own clock is used, so
# processes need not agree on theirs. A bucket idle for a minute is full again, so the key expires then.
#
# One call does, for each key (ARGV in threes: capacity, settlement, cost): first the settlement of earlier
# operations, tokens given back (positive, never past capacity) or taken beyond what was reserved (negative: an
# answer that held more than its price puts the bucket into debt, which refilling pays back); then the reservation:
# `cost` tokens are taken only when that many are there, else nothing is taken and the answer is the milliseconds
# until they will be. The settlement is applied even when the reservation is refused. A reservation sends one key and
# the caller's pending settlement with it; a flush sends every pending settlement with cost 0. Answers {1, 0}, or
# {0, milliseconds} for the (last) refused reservation.
_BUCKET_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local answer = {1, 0}
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[3 * i - 2])
  local settlement = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local per_ms = capacity / 60000
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
  tokens = math.min(capacity, tokens + settlement)
  local changed = settlement ~= 0
  if cost > 0 and cost > tokens then
    answer = {0, math.ceil((cost - tokens) / per_ms)}
  elseif cost > 0 then
    tokens = tokens - cost
    changed = true
  end
  if changed then
    redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('PEXPIRE', key, 60000)
  end
end
return answer
"""

# How long a settlement waits in the process before it is sent on its own (docs/api.md, "Limits and cost": other
# processes see a refund within this time). A caller's next operation on the same process sends it sooner, with
# its reservation; under load one flush carries the settlements of many operations.
SETTLE_DELAY_SECONDS = 0.05
# Callers per script call in a flush, so that a flush after a burst from many callers does not hold Redis (which runs
# one script at a time) for long.
_FLUSH_CHUNK = 256


class CostBudget:
    """Each caller's budget of query cost a minute (docs/api.md, "Limits and cost"): an operation reserves what
    it may cost before it runs, and gets back what it did not use once answered.

    One Redis round trip per operation: `settle` sends nothing and keeps the caller's settlement in this process
    until the caller's next reservation here (sent in the same script call) or a flush SETTLE_DELAY_SECONDS after
    it was recorded, whichever comes first; `close` flushes what is left. A flush that fails (Redis unreachable)
    logs one line and drops its settlements, as a failed settle always did: the answers were given already."""

    def __init__(self, redis: Redis, *, prefix: str, settle_delay: float = SETTLE_DELAY_SECONDS) -> None:
        self.redis = redis
        self.prefix = prefix
        self.settle_delay = settle_delay
        self._script = redis.register_script(_BUCKET_SCRIPT)
        # Caller -> (capacity, tokens to give back; negative: to take). Read and replaced without an await between,
        # so no settlement is sent twice or lost between a reservation and a flush.
        self._pending: dict[str, tuple[int, int]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()  # running flushes, held so that they are not collected

    async def reserve(self, caller: str, cost: int, per_minute: int) -> int | None:
        """Takes `cost` from the caller's budget of `per_minute`: None when taken, else the milliseconds until it
        could be. The caller's pending settlement goes with it, applied either way."""
        if cost <= 0:
            return None
        # Taken before the call: should the call fail, the settlement is lost, as it would have been on its own.
        _, settlement = self._pending.pop(caller, (per_minute, 0))
        taken, wait_ms = await self._script(keys=[self._key(caller)], args=[per_minute, settlement, cost])
        return None if taken else int(wait_ms)

    async def settle(self, caller: str, reserved: int, used: int, per_minute: int) -> None:
        """Gives back what a reservation did not use (or takes what the answer used beyond it): recorded here, sent
        with the caller's next reservation or by the next flush, without waiting for Redis."""
        if used == reserved:
            return
        _, settlement = self._pending.get(caller, (per_minute, 0))
        self._pending[caller] = (per_minute, settlement + reserved - used)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.settle_delay, self._start_flush)

    async def close(self) -> None:
        """Sends every pending settlement now (the process is ending), after any flush under way."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        await self.flush()

    async def flush(self) -> None:
        """Sends every pending settlement, in one script call per _FLUSH_CHUNK callers."""
        pending, self._pending = self._pending, {}
        callers = list(pending.items())
        try:
            for start in range(0, len(callers), _FLUSH_CHUNK):
                chunk = callers[start : start + _FLUSH_CHUNK]
                args = [value for _, (capacity, settlement) in chunk for value in (capacity, settlement, 0)]
                await self._script(keys=[self._key(caller) for caller, _ in chunk], args=args)
        except Exception as error:
            # Nobody waits for a flush to raise to: one line per flush, however many callers it held.
            if is_outage(error):
                logger.warning("Cost budget unreachable, unused cost not refunded: %s", describe_outage(error))
            else:
                logger.exception("Cost budget settlements not sent")

    def _start_flush(self) -> None:
        self._timer = None
        if not self._pending:  # the callers' next reservations sent it all
            return
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    def _key(self, caller: str) -> str:
        return f"{self.prefix}:{caller}"
