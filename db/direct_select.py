"""A SELECT that is run over and over with the same parameters, executed on the asyncpg driver directly.

The dataloaders run the same dozen statements for every request, each once per batch (graph/loaders.py). Through
SQLAlchemy's Core execution every batch paid for the compiled-cache lookup, the greenlet bridge to the sync
engine, bind processing, a `Row` per row and Python-level result processing: on a nested guidelines page of 12
statements, more CPU than asyncpg's own decoding of the rows. Here the statement is compiled once per process,
and each run is one `fetch` on an asyncpg driver connection (the request's, db/request_connection.py, or one taken
from the pool for it), prepared once per connection by asyncpg's statement cache, whose records become named tuples
of the caller's declared row type. A statement may bind several parameters (the caller's, services/caller.py).

What SQLAlchemy adds to the values is kept: the result processors (here the non-native enums: strings to enum
members) are SQLAlchemy's own, chosen for the column types the server reports for the statement, as SQLAlchemy
chooses them, and so are the bind processors of the parameters (an enum member to its stored string, a list's
filter values as an array). A keyed statement's first result column is the batch key its rows are grouped under
rather than a field of the row: `keyed_rows` answers each row's key beside the rows, so a row linked to its parent
through another table is the same row type as the one loaded by its own id. When anyone listens to the engine's cursor
events, the statement runs through SQLAlchemy's own execution instead (`AsyncConnection.execute`), so statement
counting, OpenTelemetry's tracing and logging hooks see it like any other statement, with a real cursor and
ExecutionContext, and the rows are the same (listeners on the Connection class itself are not looked for). Reads
only: nothing here begins, commits or rolls back.

The SQLAlchemy internals the driver's path needs (the greenlet bridge, the pool, the listener check) are reached
through core/internals/sqlalchemy.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any, Generic, TypeVar

import asyncpg
from sqlalchemy import Enum, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from core.internals.sqlalchemy import has_cursor_listeners
from db.request_connection import RequestConnection, on_pooled

Processor = Callable[[Any], Any]


RowT = TypeVar("RowT")

# tuple.__new__ itself rather than a named tuple's `_make` or `__new__`, Python functions per row that only check
# the length or name the fields (the columns are counted against the fields once, when compiling).
_new_tuple: Callable[..., Any] = tuple.__new__
# A keyed statement's key, and the row's values after it: C-level getters, no Python call per row (a driver's
# Record, a SQLAlchemy Row and a list all take an index and a slice).
_key = itemgetter(0)
_after_key = itemgetter(slice(1, None))


@dataclass(frozen=True, slots=True)
class _Compiled(Generic[RowT]):
    sql: str
    make_row: Callable[[Iterable[Any]], RowT]  # a row from a record's values
    processors: tuple[tuple[int, Processor], ...]  # (column index, SQLAlchemy's result processor)
    binders: tuple[tuple[int, Processor], ...]  # (parameter index, SQLAlchemy's bind processor)

    def bound(self, values: tuple[Any, ...]) -> Sequence[Any]:
        """The parameters' values as the driver takes them (bind-processed)."""
        if not self.binders:
            return values
        bound = list(values)
        for index, process in self.binders:
            bound[index] = process(bound[index])
        return bound


class DirectSelect(Generic[RowT]):
    """`statement`, whose bound parameters are `parameter` (one name, or a tuple of names in the order their
    values are given), run on the driver: `rows(engine, *values)`, on the request's connection when one is given
    (db/request_connection.py).

    Its rows are `row_type`'s, a named tuple class (`typing.NamedTuple`) whose fields are the statement's result
    columns, in order: checked when the statement is first compiled, so the declared type cannot drift from the
    statement. With `keyed`, the fields are the result columns after the first, the key (`keyed_rows`)."""

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]],
        *,
        parameter: str | tuple[str, ...],
        row_type: type[RowT],
        keyed: bool = False,
    ) -> None:
        if not (issubclass(row_type, tuple) and isinstance(getattr(row_type, "_fields", None), tuple)):
            raise TypeError(f"{row_type.__name__}: a direct SELECT's rows are a named tuple class")
        self.statement = statement
        self.parameters = (parameter,) if isinstance(parameter, str) else parameter
        self.row_type = row_type
        self.keyed = keyed
        self._compiled: _Compiled[RowT] | None = None

    async def rows(self, engine: AsyncEngine, *values: Any, connection: RequestConnection | None = None) -> list[RowT]:
        """The statement's rows for `values` (one per parameter), as `row_type`s."""
        if self.keyed:
            raise TypeError(f"{self.row_type.__name__}: a keyed SELECT answers keyed_rows")
        make_row, records, processors = await self._result(engine, values, connection)
        if not processors:
            return list(map(make_row, records))
        rows: list[RowT] = []
        for record in records:
            processed = list(record)
            for index, process in processors:
                processed[index] = process(processed[index])
            rows.append(make_row(processed))
        return rows

    async def keyed_rows(
        self, engine: AsyncEngine, *values: Any, connection: RequestConnection | None = None
    ) -> tuple[list[Any], list[RowT]]:
        """A keyed statement's rows for `values`: each row's key (its first column), and the rows (`row_type`s of
        the other columns), in one order."""
        if not self.keyed:
            raise TypeError(f"{self.row_type.__name__}: keyed_rows is for a keyed SELECT")
        make_row, records, processors = await self._result(engine, values, connection)
        if not processors:
            return list(map(_key, records)), list(map(make_row, map(_after_key, records)))
        keys: list[Any] = []
        rows: list[RowT] = []
        for record in records:
            processed = list(record)
            for index, process in processors:
                processed[index] = process(processed[index])
            keys.append(processed[0])
            del processed[0]  # the row's values, without copying them again
            rows.append(make_row(processed))
        return keys, rows

    async def _result(
        self, engine: AsyncEngine, values: tuple[Any, ...], connection: RequestConnection | None
    ) -> tuple[Callable[[Iterable[Any]], RowT], Sequence[Sequence[Any]], tuple[tuple[int, Processor], ...]]:
        """The statement's result for `values`: the row maker, the records, and the processors their values still
        need (none once SQLAlchemy's execution has processed them)."""
        sync_engine = engine.sync_engine
        if has_cursor_listeners(sync_engine):
            return await self._announced_result(engine, values)
        dialect = sync_engine.dialect

        async def fetch(driver: asyncpg.Connection) -> tuple[_Compiled[RowT], list[asyncpg.Record]]:
            compiled = self._compiled or await self._compile(dialect, driver)
            records: list[asyncpg.Record] = await driver.fetch(compiled.sql, *compiled.bound(values))
            return compiled, records

        # The request's connection, or a pooled one without a SQLAlchemy Connection around it (~45 us less per
        # statement than through one).
        if connection is not None and connection.pool is sync_engine.pool:
            compiled, records = await connection.run(fetch)
        else:
            compiled, records = await on_pooled(sync_engine, fetch)
        return compiled.make_row, records, compiled.processors

    async def _announced_result(
        self, engine: AsyncEngine, values: tuple[Any, ...]
    ) -> tuple[Callable[[Iterable[Any]], RowT], Sequence[Sequence[Any]], tuple[tuple[int, Processor], ...]]:
        """The result through SQLAlchemy's own execution, for when someone listens to the engine's cursor events
        (statement counting, OpenTelemetry's tracing, logging hooks): the listeners get what SQLAlchemy gives them
        for any statement, its DB-API cursor and ExecutionContext included, and SQLAlchemy's result processing
        makes the values. The rows made of them are the same `row_type`s as the driver's path makes."""
        async with engine.connect() as connection:
            compiled = self._compiled
            if compiled is None:
                # Described on this connection's driver (a prepare, which no cursor event announces): once.
                driver = (await connection.get_raw_connection()).driver_connection
                compiled = await self._compile(engine.dialect, driver)
            result = await connection.execute(self.statement, dict(zip(self.parameters, values, strict=True)))
            return compiled.make_row, result.all(), ()

    async def _compile(self, dialect: Dialect, driver: asyncpg.Connection) -> _Compiled[RowT]:
        compiled_statement = self.statement.compile(dialect=dialect)
        name = self.row_type.__name__
        if tuple(compiled_statement.positiontup or ()) != self.parameters:
            raise TypeError(
                f"{name}: a direct SELECT binds only :{', :'.join(self.parameters)} (in this order), "
                f"not {compiled_statement.positiontup}"
            )
        sql = str(compiled_statement)
        # The server's description of the result: the column names and, as SQLAlchemy's asyncpg cursor reports
        # them, the type oids that its result processors are chosen by (a numeric's depends on it).
        attributes = (await driver.prepare(sql)).get_attributes()
        columns = list(self.statement.selected_columns)
        if len(columns) != len(attributes):
            raise TypeError(f"{name}: {len(attributes)} result columns for {len(columns)} selected")
        processors: list[tuple[int, Processor]] = []
        for index, (column, attribute) in enumerate(zip(columns, attributes, strict=True)):
            sqlalchemys = column.type.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
            if sqlalchemys is None:
                continue
            process: Processor = sqlalchemys
            if isinstance(column.type, Enum):
                process = _EnumTable(sqlalchemys, column.type.enums).__getitem__
            processors.append((index, process))
        binders: list[tuple[int, Processor]] = []
        for index, parameter in enumerate(self.parameters):
            binder = compiled_statement.binds[parameter].type.dialect_impl(dialect).bind_processor(dialect)
            if binder is not None:
                binders.append((index, binder))
        names = tuple(attribute.name for attribute in attributes)[1 if self.keyed else 0 :]
        fields: tuple[str, ...] = getattr(self.row_type, "_fields", ())
        if fields != names:
            raise TypeError(f"{name}: fields {fields} for the result columns {names}")
        self._compiled = _Compiled(sql, partial(_new_tuple, self.row_type), tuple(processors), tuple(binders))
        return self._compiled


class _EnumTable(dict[Any, Any]):
    """SQLAlchemy's result processor for an enum column, as a table of its answer for each stored value (and
    None): a lookup instead of a Python call per value. A value outside the enum goes to the processor itself,
    which refuses it as SQLAlchemy would."""

    def __init__(self, process: Processor, stored_values: Iterable[Any]) -> None:
        super().__init__({value: process(value) for value in (*stored_values, None)})
        self.process = process

    def __missing__(self, value: Any) -> Any:
        return self.process(value)
