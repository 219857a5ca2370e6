"""The only module that knows the queue is arq (arq is in maintenance mode: keep it replaceable)."""

from __future__ import annotations

from arq.connections import RedisSettings

from core.settings import Settings


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.redis_url)


def queue_name(settings: Settings) -> str:
    # Prefixed like every other key, so deployments and test runs sharing one Redis never take each other's jobs.
    return f"{settings.redis_prefix}:queue"
