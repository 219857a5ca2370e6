"""An arq worker that outlives Redis outages: arq's own exits on the first connection error and never comes back.

arq's `Worker.main()` polls in a loop that any Redis error ends (the CLI then exits), and at start `create_pool`
gives up after a few seconds. `ResilientWorker` waits for Redis at start, and in the loop treats an outage
(core/outages.py) as a pause: it logs the outage once, sleeps with a backoff (BACKOFF_FIRST_SECONDS doubling to
BACKOFF_MAX_SECONDS), polls again, and logs the recovery. Anything else still ends the worker, as it did.

Jobs running during the outage carry on (those that need the lost server retry themselves, jobs/retrying.py).
A job whose result could not be written back is left "in progress" in Redis and run again by arq once that mark
expires (arq's at-least-once delivery; every job is idempotent).

arq is in maintenance mode, so its internals do not move, but they are internals: this module is the only place
that relies on them, and tests/jobs/test_worker_outages.py names each one it overrides.
"""

from __future__ import annotations

import asyncio
import logging
import time

from arq.connections import create_pool
from arq.worker import Worker

from core.outages import describe_outage, is_outage

logger = logging.getLogger("jobs.worker")

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0

# The arq internals overridden below (a test checks they still exist with these names).
ARQ_INTERNALS = ("_poll_iteration", "start_jobs", "main", "job_counter", "sem", "tasks", "_pool")


class ResilientWorker(Worker):
    """`arq.worker.Worker`, with Redis outages ridden out instead of ending the process."""

    _outage_since: float | None = None
    _outage_failures = 0

    async def main(self) -> None:
        # arq's main() creates the pool only when none is set; making it here, patiently, lets the worker start
        # (and `make run` or a container come up) before Redis does.
        while self._pool is None:
            try:
                self._pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except Exception as error:
                if not is_outage(error):
                    raise
                await self._pause(error)
        self._recovered()
        await super().main()

    async def _poll_iteration(self) -> None:
        # Private in arq: one pass of its polling loop (read the queue, start jobs, reap finished ones, heartbeat).
        try:
            await super()._poll_iteration()
        except Exception as error:
            if not is_outage(error):
                raise
            await self._pause(error)
            return
        self._recovered()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # arq takes a slot (its semaphore and job_counter) before the Redis round trip that claims a job, and gives
        # it back only on the paths it expects: a connection error there would leak the slot, and after max_jobs
        # outages the worker would never take a job again. One job at a time, a failed claim hands its slot back.
        for job_id in job_ids:
            taken = self.job_counter
            try:
                await super().start_jobs([job_id])
            except BaseException:
                if self.job_counter > taken and job_id.decode() not in self.tasks:
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def close(self) -> None:
        # Stopping during an outage: arq's close() deletes its health key first, which cannot work now; the
        # process is ending either way, so say so in one line instead of a traceback.
        try:
            await super().close()
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning("stopped during a Redis outage (%s)", describe_outage(error))

    async def _pause(self, error: BaseException) -> None:
        self._outage_failures += 1
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            logger.warning("Redis unreachable (%s); the worker waits for it and carries on", describe_outage(error))
        delay = min(BACKOFF_FIRST_SECONDS * 2 ** (self._outage_failures - 1), BACKOFF_MAX_SECONDS)
        await asyncio.sleep(delay)

    def _recovered(self) -> None:
        if self._outage_since is not None:
            logger.info(
                "Redis is back after %.1fs (%d failed attempts); the worker carries on",
                time.monotonic() - self._outage_since,
                self._outage_failures,
            )
        self._outage_since, self._outage_failures = None, 0
