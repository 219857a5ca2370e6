"""Per-request dataloader registry and the base every loader builds on (DESIGN.md, "Conventions").

Each loader opens its own short-lived session per batch: Strawberry resolves sibling fields concurrently and
one AsyncSession cannot run two statements at once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
LoaderT = TypeVar("LoaderT", bound="SessionLoader[Any, Any]")


class SessionLoader(DataLoader[K, V]):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self.session_factory = session_factory

    async def fetch_all(self, statement: Select[Any]) -> Sequence[Any]:
        async with self.session_factory() as session:
            return (await session.scalars(statement)).all()


class RowByIdLoader(SessionLoader[uuid.UUID, V | None]):
    """Rows of `model` by primary key, in key order, None for a miss. Visibility is the caller's job."""

    model: Any

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[V | None]:
        rows = await self.fetch_all(select(self.model).where(self.model.id.in_(keys)))
        by_id = {row.id: row for row in rows}
        return [by_id.get(key) for key in keys]


def group_by(rows: Iterable[Any], key: str, keys: Sequence[Any]) -> list[list[Any]]:
    """Rows grouped under each requested key, in key order ([] for a key with none)."""
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(k, []) for k in keys]


class Loaders:
    """Creates each loader class once per request, on first use."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._loaders: dict[type[Any], Any] = {}

    def get(self, loader_class: type[LoaderT]) -> LoaderT:
        loader = self._loaders.get(loader_class)
        if loader is None:
            loader = self._loaders[loader_class] = loader_class(self._session_factory)
        return cast(LoaderT, loader)
