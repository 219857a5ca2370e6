"""Announcing changes of job state over Redis pub/sub, so a subscription on any API process hears a worker
anywhere. The database row stays the truth: a message only says "look again", so a lost one loses nothing."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from core.settings import Settings


def task_channel(settings: Settings, task_id: uuid.UUID) -> str:
    return f"{settings.redis_prefix}:progress:task:{task_id}"


def lora_channel(settings: Settings, entity: str, entity_id: uuid.UUID) -> str:
    """`entity` is `subject` or `style`."""
    return f"{settings.redis_prefix}:progress:lora:{entity}:{entity_id}"


async def announce(redis: Redis, channel: str) -> None:
    await redis.publish(channel, b"changed")
