"""Per-request dataloader registry and the base every loader builds on (DESIGN.md, "Conventions worth keeping").

No loader holds a session: each batch runs its one SELECT on the driver (db/direct_select.py), through the session
factory's engine in autocommit mode (db/engine.read_engine), on the request's one connection, batches taking turns
on it (db/request_connection.py; outside an HTTP request, on one taken from the pool for that statement alone), and
no transaction is opened around a read. A batch's rows are named tuples of the loader's declared row type
(`row_type`, a `typing.NamedTuple` whose
fields are the statement's result columns), not ORM entities.

Most loaders are declared rather than written: a model, the column its keys are, an order, the storage keys to
bring along (`RowByIdLoader`, `GroupedRowsLoader`, graph/guidelines/loaders.LinkedRowsLoader); a loader whose rows
need more (a join, fewer columns) writes its own `statement`.

The request's loaders are dispatched level by level (`BatchScheduler`): plain aiodataloader dispatches a loader
one loop tick after its first key, so a loader fed by several parents (media under shot types, subjects and pose
presets) ran one batch per parent that happened to finish apart, and the number of statements of one query
varied from run to run. Waiting until every batch in flight has finished and the resolvers have settled makes
it one batch per loader and level, always.
"""

from __future__ import annotations

import abc
import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import attrgetter
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast, get_args

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, FromClause, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import QueryableAttribute, aliased

from core.internals.aiodataloader import cached_futures, dispatch, enqueue
from db.direct_select import DirectSelect
from db.engine import read_engine
from db.models import MediaResource
from db.request_connection import RequestConnection

# Any statement's type: SQLAlchemy types a SELECT by its columns' types, which a loader's row type says instead.
AnySelect = Select[*tuple[Any, ...]]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
RowT = TypeVar("RowT")  # a loader's row type: a typing.NamedTuple class matching its statement's result columns
IdRowT = TypeVar("IdRowT", bound="IdentifiedRow")
LoaderT = TypeVar("LoaderT", bound="SessionLoader[Any, Any]")
OutT = TypeVar("OutT")
T = TypeVar("T")


class IdentifiedRow(Protocol):
    """A row with its primary key (what RowByIdLoader answers by)."""

    @property
    def id(self) -> uuid.UUID: ...


# Loop turns without a new key before the waiting loaders are dispatched. A finished batch's resolvers take a
# few turns (graphql-core's gathers and list completion) to ask for the next level's keys; this covers them with
# room to spare and costs microseconds.
SETTLE_TICKS = 8


class BatchScheduler:
    """Dispatches one request's loaders breadth first: all keys asked for while any batch is still running, or
    within SETTLE_TICKS loop turns of the last one, go out together, one batch per loader.

    A batch function must therefore never wait on another loader of the same request (it would wait for
    itself): batch functions run SQL only, as every loader here does.
    """

    def __init__(self) -> None:
        self._waiting: list[DataLoader[Any, Any]] = []
        self._arrivals = 0  # keys queued so far
        self._finished = 0  # batches finished so far
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._dispatcher: asyncio.Task[None] | None = None

    def key_queued(self, loader: DataLoader[Any, Any], *, first: bool) -> None:
        self._arrivals += 1
        if first:
            self._waiting.append(loader)
        if self._dispatcher is None:
            self._dispatcher = asyncio.ensure_future(self._dispatch_when_settled())

    async def run_batch(self, batch: Awaitable[list[Any]]) -> list[Any]:
        self._in_flight += 1
        self._idle.clear()
        try:
            return await batch
        finally:
            self._in_flight -= 1
            self._finished += 1
            if not self._in_flight:
                self._idle.set()

    async def _dispatch_when_settled(self) -> None:
        try:
            while True:
                # Settled: nothing running, and SETTLE_TICKS turns with no new key and no batch finishing (a batch
                # that finished during the wait still has resolvers about to ask for the next level).
                seen = (self._arrivals, self._finished)
                for _ in range(SETTLE_TICKS):
                    await asyncio.sleep(0)
                if self._in_flight:
                    await self._idle.wait()
                elif (self._arrivals, self._finished) == seen:
                    break
        finally:
            self._dispatcher = None
        waiting, self._waiting = self._waiting, []
        for loader in waiting:
            dispatch(loader)


class SessionLoader(DataLoader[K, V]):
    """A loader made from the request's session factory: it reads through the factory's engine, in autocommit
    mode (`engine`), and never opens a session itself."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        scheduler: BatchScheduler | None = None,
        connection: RequestConnection | None = None,
    ) -> None:
        super().__init__()
        self.engine = read_engine(session_factory.kw["bind"])
        # Without a scheduler (a loader made on its own), aiodataloader's own dispatch applies.
        self.scheduler = scheduler
        # The request's connection (db/request_connection.py); without it, each batch takes one from the pool.
        self.connection = connection

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        load_batch = cls.__dict__.get("batch_load_fn")
        if load_batch is None:
            return

        async def tracked(self: SessionLoader[K, V], keys: list[K]) -> list[V]:
            if self.scheduler is None:
                return cast(list[V], await load_batch(self, keys))
            return cast(list[V], await self.scheduler.run_batch(load_batch(self, keys)))

        # The scheduler must know when each batch ends: it dispatches the next level only then. Wrapped once per
        # class, not per instance: a per-instance closure holding the loader made each request's loaders, with
        # every row and future they cached, a reference cycle left for the cyclic garbage collector.
        # Ignored: mypy refuses any assignment to a method; subclasses (the tests' too) keep defining
        # `batch_load_fn`, as aiodataloader documents, and this is the one place it is replaced.
        cls.batch_load_fn = tracked  # type: ignore[assignment,misc]

    # Ignored: aiodataloader's load_many returns a Future, this a coroutine. Both are awaited (every caller here
    # awaits it once, none uses a Future's methods), and a Future would cost a task per call.
    async def load_many(self, keys: Iterable[K]) -> list[V]:  # type: ignore[override]
        """Every key queued at once, then awaited in turn: the same batches as aiodataloader's gather, without a
        callback and a scheduled call per key (once the first answer is in, its batch has answered the rest).
        A key already asked for takes its cached future straight from the cache (these loaders cache by the key
        itself): a page asks for its ~50 shot types ~550 times."""
        cached, load = cached_futures(self).get, self.load
        futures = [cached(key) or load(key) for key in keys]
        return [await future for future in futures]

    def do_resolve_reject(self, key: K, future: asyncio.Future[V]) -> None:
        if self.scheduler is None:
            super().do_resolve_reject(key, future)
            return
        self.scheduler.key_queued(self, first=enqueue(self, key, future) == 1)


class StatementLoader(SessionLoader[K, V], Generic[K, V, RowT], abc.ABC):
    """A loader whose batches run one SELECT of its own (`statement`), built once per class, whose rows are
    `row_type`s (db/direct_select.py checks its fields against the result columns when it first runs).

    The row type is the named tuple class among the base's type arguments (`GroupedRowsLoader[LoadedStyle]`):
    written once, where mypy reads it too.

    A keyed loader's statement selects the batch key first, before the row's own columns (`keyed_rows`): a row
    reached through another table (a link) is then the same row type as the row loaded by its own id."""

    row_type: type[RowT]
    keyed: ClassVar[bool] = False
    # What the declared statements (`row_select`) read: `model`'s columns, less `left_out` (those its GraphQL type
    # does not have), with the storage key of each of `media_keys` (label -> the model's media id column).
    model: ClassVar[Any]
    left_out: ClassVar[Collection[str]] = ()
    media_keys: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            named_tuples = [arg for arg in get_args(base) if isinstance(arg, type) and hasattr(arg, "_fields")]
            if named_tuples:
                cls.row_type = named_tuples[0]

    @classmethod
    @abc.abstractmethod
    def statement(cls) -> AnySelect:
        """The batch's SELECT, filtered with `in_batch(column)`: the keys are bound when it runs."""

    async def rows(self, keys: Sequence[K]) -> list[RowT]:
        """`statement()`'s rows for these keys, as `row_type`s: attribute access like an entity's, but no ORM
        instance or identity map entry per row, and each attribute read ~8 times cheaper than a SQLAlchemy Row's
        (whose `__getattr__` is Python code; building a page's objects read ~20,000 of them). The statement runs
        on the driver directly, or through SQLAlchemy's execution while anyone listens to the engine's cursor
        events (db/direct_select.py)."""
        return await self.direct_select().rows(self.engine, list(keys), connection=self.connection)

    async def keyed_rows(self, keys: Sequence[K]) -> tuple[list[K], list[RowT]]:
        """A keyed statement's rows for these keys: each row's key, and the rows (`row_type`s), in one order."""
        return await self.direct_select().keyed_rows(self.engine, list(keys), connection=self.connection)

    @classmethod
    def direct_select(cls) -> DirectSelect[RowT]:
        """The class's statement, ready to run. Built once per class: constructing a SELECT with its joins took
        longer than running it (~15% of a nested page's CPU), and compiling it again on every batch was most of
        what remained of SQLAlchemy's part."""
        made: DirectSelect[RowT] | None = _selects.get(cls)
        if made is None:
            made = _selects[cls] = DirectSelect(cls.statement(), parameter=KEYS, row_type=cls.row_type, keyed=cls.keyed)
        return made

    @classmethod
    def row_select(cls, *, key: ColumnElement[Any] | None = None, via: FromClause | None = None) -> AnySelect:
        """A SELECT of `model`'s columns less `left_out`, then the storage keys of its `media_keys`
        (`join_media_keys`); with `key`, that column first (a keyed statement), read from `via` (a join that
        reaches `model`)."""
        shown = (column for column in columns(cls.model) if column.key not in cls.left_out)
        statement = select(*(() if key is None else (key,)), *shown)
        if via is not None:
            statement = statement.select_from(via)
        media_ids = {label: getattr(cls.model, column) for label, column in cls.media_keys.items()}
        return join_media_keys(statement, media_ids)


_selects: dict[type[Any], DirectSelect[Any]] = {}  # loader class -> its statement, compiled on first use
KEYS = "batch_keys"


def in_batch(column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
    """`column = ANY(:batch_keys)`: the batch's keys as one array parameter, bound when the statement runs (unlike
    `IN (:k1, ..., :kn)` the SQL text is the same for any number of keys, so asyncpg's prepared statement is
    reused too)."""
    return column == any_(bindparam(KEYS, type_=ARRAY(column.type)))


def columns(model: Any) -> list[Any]:
    """A model's table columns, to select plain rows rather than entities."""
    return list(model.__table__.columns)


def join_media_keys(statement: AnySelect, columns: Mapping[str, Any]) -> AnySelect:
    """`statement` plus, for each label -> media id column, that media's storage key (outer join): a URL field
    then answers at once, without looking the media up (graph/media/keys.py)."""
    for label, media_id in columns.items():
        media = aliased(MediaResource)
        statement = statement.outerjoin(media, media.id == media_id).add_columns(media.storage_key.label(label))
    return statement


class RowByIdLoader(StatementLoader[uuid.UUID, IdRowT | None, IdRowT]):
    """Rows of `model` by primary key (`row_select`), in key order, None for a miss. Visibility is the caller's
    job."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._presented: dict[tuple[Callable[[Any], Any], uuid.UUID], Any] = {}

    @classmethod
    def statement(cls) -> AnySelect:
        return cls.row_select().where(in_batch(cls.model.id))

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[IdRowT | None]:
        by_id = {row.id: row for row in await self.rows(keys)}
        return [by_id.get(key) for key in keys]

    def presented(self, row: IdRowT, present: Callable[[IdRowT], OutT]) -> OutT:
        """`present(row)` (a GraphQL object made from a loaded row), made once per row and request: the parents
        that link one row (~550 links to ~50 shot types on a guidelines page) share one immutable object."""
        key = (present, row.id)
        made = self._presented.get(key)
        if made is None:
            made = self._presented[key] = present(row)
        return cast(OutT, made)


class GroupedRowsLoader(StatementLoader[uuid.UUID, list[RowT], RowT]):
    """Each key's rows (the statement orders them), grouped by the row attribute `group_key`. Declared: the rows
    of `model` (`row_select`) whose `group_key` column is one of the keys, in the order of its `order` columns."""

    group_key: ClassVar[str]
    order: ClassVar[tuple[str, ...]]

    @classmethod
    def statement(cls) -> AnySelect:
        return (
            cls.row_select()
            .where(in_batch(getattr(cls.model, cls.group_key)))
            .order_by(*(getattr(cls.model, name) for name in cls.order))
        )

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[RowT]]:
        return group_by(await self.rows(keys), self.group_key, keys)


def group_by(rows: Iterable[T], key: str, keys: Sequence[Hashable]) -> list[list[T]]:
    """Rows grouped under each requested key (the row attribute `key`), in key order ([] for a key with none).
    Rows keep their order within a group. Most statements order by the key first, so a group is one run of rows,
    taken whole."""
    return _grouped(groupby(rows, attrgetter(key)), keys)


def group_keyed(row_keys: Sequence[Hashable], rows: Sequence[T], keys: Sequence[Hashable]) -> list[list[T]]:
    """`group_by` for a keyed statement's rows, whose keys come beside them (`row_keys[i]` is `rows[i]`'s)."""
    return _grouped(_runs(row_keys, rows), keys)


def _runs(row_keys: Sequence[Hashable], rows: Sequence[T]) -> Iterator[tuple[Hashable, Sequence[T]]]:
    """Each run of one key and its rows: the rows are sliced, nothing is done per row in Python."""
    start = 0
    for key, run in groupby(row_keys):
        end = start + len(list(run))
        yield key, rows[start:end]
        start = end


def _grouped(runs: Iterable[tuple[Hashable, Iterable[T]]], keys: Sequence[Hashable]) -> list[list[T]]:
    grouped: dict[Any, list[T]] = defaultdict(list)
    for group_key, run in runs:
        grouped[group_key].extend(run)
    return [grouped.get(k, []) for k in keys]


async def load_each(loader: DataLoader[K, V], keys: Sequence[K | None]) -> list[V | None]:
    """The loader's value for each key, None for a None key: every key asked for at once (a level resolver's
    loads, graph/execution/levels.py)."""
    values = iter(await loader.load_many([key for key in keys if key is not None]))
    return [next(values) if key is not None else None for key in keys]


class Loaders:
    """Creates each loader class once per request, on first use."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], connection: RequestConnection | None = None
    ) -> None:
        self._session_factory = session_factory
        self._loaders: dict[type[Any], Any] = {}
        # Made with the first loader: a request that loads nothing (`me`, `__typename`, a mutation) needs none.
        self._scheduler: BatchScheduler | None = None
        self.connection = connection  # the request's, shared by its loaders' batches (none for a websocket)

    def get(self, loader_class: type[LoaderT]) -> LoaderT:
        loader = self._loaders.get(loader_class)
        if loader is None:
            scheduler = self._scheduler
            if scheduler is None:
                scheduler = self._scheduler = BatchScheduler()
            loader = self._loaders[loader_class] = loader_class(self._session_factory, scheduler, self.connection)
        return cast(LoaderT, loader)

    def release(self) -> None:
        """Forget everything loaded. Called when an operation ends: graphql-core's executor sits in a reference
        cycle that reaches the context, so the rows and futures the loaders cache (~12,000 objects for a nested
        page) would otherwise wait for the cyclic garbage collector, which then spent ~15% of the CPU freeing them."""
        self._loaders.clear()
