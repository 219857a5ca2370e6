"""Announcing changes of job state over Redis pub/sub, so a subscription on any API process hears a worker
anywhere. The database row stays the truth: a message only says "look again", so a lost one loses nothing.

That is also why an announcement that cannot be sent (Redis unreachable for the moment) is logged and dropped
rather than raised: the change is already committed, and failing the job or the request over it would turn a
missed hint into lost work. Subscribers re-read their row on their own timer and when Redis comes back."""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis

from core.outages import describe_outage, is_outage
from core.settings import Settings

logger = logging.getLogger("services.progress")


def task_channel(settings: Settings, task_id: uuid.UUID) -> str:
    return f"{settings.redis_prefix}:progress:task:{task_id}"


def lora_channel(settings: Settings, entity: str, entity_id: uuid.UUID) -> str:
    """`entity` is `subject` or `style`."""
    return f"{settings.redis_prefix}:progress:lora:{entity}:{entity_id}"


async def announce(redis: Redis, channel: str) -> bool:
    """Publish "changed" on `channel`; False when Redis could not be reached (logged, not raised)."""
    try:
        await redis.publish(channel, b"changed")
    except Exception as error:
        if not is_outage(error):
            raise
        logger.warning("progress announcement on %s dropped: %s", channel, describe_outage(error))
        return False
    return True
