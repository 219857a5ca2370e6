"""Process-wide resources (database, Redis, storage), opened at start-up and closed at shutdown.

Shared by the API (graph/) and the worker (jobs/)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.decode_budget import PixelBudget
from core.settings import Settings
from core.storage import Storage
from core.storage_backends import open_storage
from db.engine import create_engine, create_session_factory, read_engine
from services.rate_limit import CostBudget


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    # Sessions for reads only (autocommit: no transaction round trips); writes use session_factory.
    read_session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    storage: Storage
    # Pixels this process decodes at once (core/decode_budget.py): one image of the largest accepted size, or
    # several smaller ones side by side.
    decode_budget: PixelBudget

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError("DATABASE_URL and REDIS_URL must be set (`make run` sets them for you)")
        # No overflow: connections past the pool are closed again when returned, and under steady load that meant
        # connecting over and over. A batch that finds the pool empty waits for a connection instead.
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=0,
            statement_timeout_seconds=settings.database_statement_timeout_seconds,
            pooler=settings.database_pooler,
        )
        return cls(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            read_session_factory=create_session_factory(read_engine(engine)),
            redis=Redis.from_url(settings.redis_url),
            storage=open_storage(settings),
            decode_budget=PixelBudget(settings.image_max_pixels),
        )

    async def close(self) -> None:
        self.decode_budget.close()
        if "cost_budget" in self.__dict__:  # made on first use (cached_property): the refunds it still holds
            await self.cost_budget.close()
        await self.redis.aclose()
        await self.engine.dispose()

    @cached_property
    def cost_budget(self) -> CostBudget:
        """Every caller's query cost budget (graph/cost_limits.py); one script registration per process."""
        return CostBudget(self.redis, prefix=self.redis_key("cost-budget"))

    def redis_key(self, *parts: str) -> str:
        return ":".join((self.settings.redis_prefix, *parts))
