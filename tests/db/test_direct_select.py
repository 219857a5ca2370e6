"""The loaders' statements run on the asyncpg driver (db/direct_select.py): the same rows as SQLAlchemy's own
execution, seen by SQLAlchemy's cursor events, and no connection left mid-protocol after a failure."""

from __future__ import annotations

import asyncio
import types
import typing
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import asyncpg
import pytest
from sqlalchemy import (
    ARRAY,
    Column,
    Float,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

import graph.schema  # noqa: F401  (imports every domain's loaders)
from core.outages import is_outage
from db.direct_select import DirectSelect
from db.engine import read_engine
from db.models.enums import Gender
from db.request_connection import RequestConnection
from graph.loaders import KEYS, StatementLoader
from tests.conftest import Accounts
from tests.seed_rows import Seed, make_organization
from tests.statements import count_statements


class One(NamedTuple):
    one: int


class Share(NamedTuple):
    share: float


class Slept(NamedTuple):
    pid: int
    slept: None


class Stored(NamedTuple):
    gender: Gender | None


class GenderAndId(NamedTuple):
    gender: Gender
    id: uuid.UUID


def concrete_loaders(base: type[Any] = StatementLoader) -> Iterator[type[StatementLoader[Any, Any, Any]]]:
    for subclass in base.__subclasses__():
        if builds_a_statement(subclass):
            yield subclass
        yield from concrete_loaders(subclass)


def builds_a_statement(loader_class: type[Any]) -> bool:
    """False for the generic bases (RowByIdLoader, LinkedRowsLoader, ...), which lack their model or link."""
    if getattr(loader_class, "__abstractmethods__", None):
        return False
    try:
        loader_class.statement()
    except AttributeError:
        return False
    return True


async def keyed_and_rows(select: DirectSelect[Any], engine: AsyncEngine, keys: Any) -> tuple[list[Any], list[Any]]:
    """Each row's key (a keyed statement's first column; () for another statement), and the rows."""
    if select.keyed:
        return await select.keyed_rows(engine, keys)
    rows = await select.rows(engine, keys)
    return [()] * len(rows), rows


def ids_in(seed: Seed) -> list[uuid.UUID]:
    """Every id the seed wrote, its rows' own and the ones they point to."""
    return sorted(
        {value for rows in seed.rows.values() for row in rows for value in row.values() if isinstance(value, uuid.UUID)}
    )


async def test_every_loader_reads_the_same_rows_as_sqlalchemy_on_both_paths(
    app: Starlette, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    organization_id = await make_organization(session_factory)
    await accounts.add_to_organization(owner, organization_id)
    seed = Seed(owner_id=owner.id, organization_id=organization_id)
    seed.guideline()
    seed.full_subject()
    seed.style()
    keys = [*ids_in(seed), owner.id, organization_id]
    await seed.write(session_factory)
    engine: AsyncEngine = app.state.resources.engine

    loaders = list(concrete_loaders())
    assert len(loaders) >= 20, [loader.__name__ for loader in loaders]
    for loader_class in loaders:
        statement = loader_class.statement()
        async with engine.connect() as connection:
            expected = (await connection.execute(statement, {KEYS: keys})).all()
        keyed = loader_class.keyed
        direct_select = DirectSelect(statement, parameter=KEYS, row_type=loader_class.row_type, keyed=keyed)

        on_the_driver = await keyed_and_rows(direct_select, read_engine(engine), keys)
        with count_statements(app) as log:
            announced = await keyed_and_rows(direct_select, read_engine(engine), keys)

        name = loader_class.__name__
        assert expected, f"{name}: the seed has no rows for it, so the comparison would prove nothing"
        # A keyed statement's row holds the columns after the key.
        expected_fields = list(expected[0]._fields)[1 if keyed else 0 :]
        for path, (row_keys, rows) in (("driver", on_the_driver), ("announced", announced)):
            flat = [(key, *row) if keyed else tuple(row) for key, row in zip(row_keys, rows, strict=True)]
            assert flat == [tuple(row) for row in expected], (name, path)
            assert list(rows[0]._fields) == expected_fields, (name, path)
            # Values of the same types: enum members, not the strings the driver reads.
            assert [list(map(type, row)) for row in flat] == [list(map(type, row)) for row in expected], (name, path)
            # And the same rows on both paths: the loader's own named tuple class.
            assert {type(row) for row in rows} == {loader_class.row_type}, (name, path)
        assert log.count == 1, f"{name}: SQLAlchemy's cursor events saw {log.count} statements"


async def test_a_tracing_listener_gets_the_execution_context_and_the_rows_stay_the_same(app: Starlette) -> None:
    """Cursor listeners as OpenTelemetry's SQLAlchemy instrumentation writes them: they read the engine's URL, the
    ExecutionContext's dialect and statement and the cursor, keep their span on the context, and read it back
    after the statement."""
    engine = read_engine(app.state.resources.engine)
    gender = DirectSelect(
        select(
            cast(bindparam("stored", type_=String), SqlEnum(Gender, native_enum=False)).label("gender"),
            func.gen_random_uuid().label("id"),
        ),
        parameter="stored",
        row_type=GenderAndId,
    )
    [untraced] = await gender.rows(engine, Gender.MALE.name)
    began: list[tuple[Any, ...]] = []
    ended: list[Any] = []

    def before_cursor_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        began.append((conn.engine.url.database, context.dialect.name, context.statement, cursor is context.cursor))
        context.span = f"span {len(began)}"

    def after_cursor_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        ended.append(context.span)

    sync_engine = app.state.resources.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", before_cursor_execute)
    event.listen(sync_engine, "after_cursor_execute", after_cursor_execute)
    try:
        [traced] = await gender.rows(engine, Gender.MALE.name)
    finally:
        event.remove(sync_engine, "before_cursor_execute", before_cursor_execute)
        event.remove(sync_engine, "after_cursor_execute", after_cursor_execute)

    [(database, dialect, statement, own_cursor)] = began
    assert database == engine.url.database and dialect == "postgresql" and own_cursor
    assert "pg_catalog.gen_random_uuid()" in statement or "gen_random_uuid()" in statement, statement
    assert ended == ["span 1"]
    assert type(traced) is type(untraced) and traced._fields == ("gender", "id")
    assert traced.gender is untraced.gender is Gender.MALE
    assert type(traced.id) is type(untraced.id)


def test_every_loader_declares_its_rows_as_its_statement_makes_them() -> None:
    """A loader's row type (a NamedTuple) says what its rows hold: the fields are checked against the result
    columns when the statement first runs; here, each field's type against its column's Python type and whether
    it may be null (a column of an outer join, like a media key, is null when nothing joins)."""
    checked = 0
    for loader_class in concrete_loaders():
        statement, row_type = loader_class.statement(), loader_class.row_type
        hints = typing.get_type_hints(row_type)
        # A keyed statement's first column is the key, before the row's own.
        selected = list(statement.selected_columns)[1 if loader_class.keyed else 0 :]
        assert list(hints) == [column.name for column in selected], loader_class.__name__
        for column in selected:
            declared = hints[column.name]
            members = set(typing.get_args(declared)) if isinstance(declared, types.UnionType) else {declared}
            where = f"{row_type.__name__}.{column.name}: {declared}"
            # An array column (a rule group's shot type ids) is a list, declared with its items' type.
            kinds = {typing.get_origin(member) or member for member in members - {type(None)}}
            assert kinds == {column.type.python_type}, f"{where}, for a {column.type}"
            if isinstance(column.type, ARRAY):
                items = {item for member in members if member is not type(None) for item in typing.get_args(member)}
                assert items == {column.type.item_type.python_type}, f"{where}, for a {column.type}"
            if isinstance(column, Column):
                assert (type(None) in members) == column.nullable, f"{where}, for a column nullable={column.nullable}"
            checked += 1
    assert checked > 200, checked


async def test_a_row_type_whose_fields_are_not_the_result_columns_is_refused(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    statement = select(literal_column("1").label("other")).where(literal_column("1") == bindparam("keys"))
    with pytest.raises(TypeError, match=r"One: fields \('one',\) for the result columns \('other',\)"):
        await DirectSelect(statement, parameter="keys", row_type=One).rows(engine, 1)


async def test_an_empty_batch_answer_and_a_second_run_use_the_compiled_statement(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    select_ids = DirectSelect(
        select(literal_column("1").label("one")).where(
            literal_column("1") == any_(bindparam("keys", type_=ARRAY(Integer)))
        ),
        parameter="keys",
        row_type=One,
    )
    assert await select_ids.rows(engine, [2, 3]) == []
    [row] = await select_ids.rows(engine, [1])
    assert row.one == 1


async def test_a_statement_with_other_parameters_is_refused(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    statement = select(literal_column("1")).where(bindparam("keys") == bindparam("other"))
    with pytest.raises(TypeError, match="binds only :keys"):
        await DirectSelect(statement, parameter="keys", row_type=One).rows(engine, 1)


async def test_a_server_error_is_raised_and_the_connection_serves_on(app: Starlette, path: str) -> None:
    engine = read_engine(app.state.resources.engine)
    divide = DirectSelect(
        select((literal_column("1") / bindparam("divisor", type_=Float)).label("share")),
        parameter="divisor",
        row_type=Share,
    )
    pool = engine.sync_engine.pool
    for _ in range(3):
        with pytest.raises(Exception) as refused:
            await divide.rows(engine, 0.0)
        assert isinstance(driver_error(refused.value), asyncpg.DivisionByZeroError), repr(refused.value)
        [row] = await divide.rows(engine, 4.0)
        assert row.share == 0.25
    assert pool.checkedout() == 0


def driver_error(error: BaseException) -> BaseException:
    """asyncpg's own error: raised as it is on the driver's path, and the cause of SQLAlchemy's (as for any other
    statement the application runs) on the path announced to listeners."""
    current: BaseException | None = error
    while current is not None and not isinstance(current, asyncpg.PostgresError | asyncpg.InterfaceError):
        current = current.__cause__
    return current or error


def sleeping(seconds: float | None = None) -> DirectSelect[Slept]:
    """The backend's pid, after `pg_sleep(seconds)`."""
    return DirectSelect(
        select(func.pg_backend_pid().label("pid"), func.pg_sleep(bindparam("seconds", type_=Float)).label("slept")),
        parameter="seconds",
        row_type=Slept,
    )


async def sleeping_backends(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%'"
                " AND pid <> pg_backend_pid()"
            )
        )
        return list(result.scalars())


@pytest.fixture(params=["pooled connection", "announced to listeners"])
def path(request: pytest.FixtureRequest, app: Starlette) -> Iterator[str]:
    """Both ways a direct select runs: straight on a pooled connection, or (when someone listens to the engine's
    cursor events) on a SQLAlchemy connection that announces it."""
    if request.param == "pooled connection":
        yield request.param
        return
    with count_statements(app):
        yield request.param


async def test_a_cancelled_read_stops_its_statement_and_its_connection_serves_on(app: Starlette, path: str) -> None:
    """A read cancelled mid-statement (its client went away): the server stops the statement, and the connection
    goes back to the pool fit for the next request."""
    engine = read_engine(app.state.resources.engine)
    pool = engine.sync_engine.pool
    reading = asyncio.create_task(sleeping().rows(engine, 30.0))
    await asyncio.sleep(0.3)
    assert len(await sleeping_backends(engine)) == 1
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(reading, timeout=5)
    assert pool.checkedout() == 0
    for _ in range(50):
        if not await sleeping_backends(engine):
            break
        await asyncio.sleep(0.1)
    assert await sleeping_backends(engine) == []
    for _ in range(pool.checkedin() + 1):  # every pooled connection in turn
        [row] = await sleeping().rows(engine, 0.0)
        assert row.slept is None


async def test_a_connection_whose_server_went_away_is_dropped_not_reused(app: Starlette, path: str) -> None:
    engine = read_engine(app.state.resources.engine)
    pool = engine.sync_engine.pool
    reading = asyncio.create_task(sleeping().rows(engine, 30.0))
    await asyncio.sleep(0.3)
    [pid] = await sleeping_backends(engine)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(Exception) as lost:
        await asyncio.wait_for(reading, timeout=5)
    assert isinstance(driver_error(lost.value), asyncpg.PostgresError | asyncpg.InterfaceError), repr(lost.value)
    assert is_outage(lost.value)
    # Every pooled connection serves a read: the one that lost its server was not put back to fail again.
    served = [(await sleeping().rows(engine, 0.0))[0].pid for _ in range(pool.checkedin() + 1)]
    assert pid not in served


async def test_enum_columns_read_as_members_and_unknown_values_are_refused_as_sqlalchemy_does(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    gender = DirectSelect(
        select(cast(bindparam("stored", type_=String), SqlEnum(Gender, native_enum=False)).label("gender")),
        parameter="stored",
        row_type=Stored,
    )
    assert [row.gender for row in await gender.rows(engine, Gender.FEMALE.name)] == [Gender.FEMALE]
    assert [row.gender for row in await gender.rows(engine, None)] == [None]
    with pytest.raises(LookupError):
        await gender.rows(engine, "NOT_A_GENDER")


class Numbered(NamedTuple):
    number: int
    gender: Gender | None


async def test_a_keyed_select_answers_its_first_column_beside_each_row_on_both_paths(app: Starlette, path: str) -> None:
    """A keyed statement's first column is the key, not a field of the row: the keys beside the rows, each row of
    the declared type, its enum processed as on an unkeyed statement."""
    engine = read_engine(app.state.resources.engine)
    keyed = DirectSelect(
        select(
            literal_column("'k'").label("key"),
            literal_column("7").label("number"),
            cast(bindparam("stored", type_=String), SqlEnum(Gender, native_enum=False)).label("gender"),
        ),
        parameter="stored",
        row_type=Numbered,
        keyed=True,
    )
    assert await keyed.keyed_rows(engine, Gender.FEMALE.name) == (["k"], [Numbered(7, Gender.FEMALE)])
    [key], [row] = await keyed.keyed_rows(engine, None)
    assert (key, type(row), row.gender) == ("k", Numbered, None)
    with pytest.raises(TypeError, match="a keyed SELECT answers keyed_rows"):
        await keyed.rows(engine, None)


async def test_a_keyed_row_type_is_checked_against_the_columns_after_the_key(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    statement = select(literal_column("1").label("one"), literal_column("2").label("two")).where(
        literal_column("1") == bindparam("keys")
    )
    with pytest.raises(TypeError, match=r"One: fields \('one',\) for the result columns \('two',\)"):
        await DirectSelect(statement, parameter="keys", row_type=One, keyed=True).keyed_rows(engine, 1)


class Pair(NamedTuple):
    number: int
    word: str


def pair(*parameters: str) -> DirectSelect[Pair]:
    statement = select(
        bindparam("number", type_=Integer).label("number"), bindparam("word", type_=String).label("word")
    )
    return DirectSelect(statement, parameter=parameters, row_type=Pair)


async def test_a_statement_binds_several_parameters_in_their_order(app: Starlette, path: str) -> None:
    engine = read_engine(app.state.resources.engine)
    assert await pair("number", "word").rows(engine, 7, "seven") == [Pair(7, "seven")]
    with pytest.raises(TypeError, match=r"binds only :word, :number \(in this order\)"):
        await pair("word", "number").rows(engine, "seven", 7)


async def test_a_request_connection_serves_every_read_and_is_replaced_when_its_server_goes(app: Starlette) -> None:
    engine = read_engine(app.state.resources.engine)
    pool = engine.sync_engine.pool
    connection = RequestConnection(engine.sync_engine)
    pids = {(await sleeping().rows(engine, 0.0, connection=connection))[0].pid for _ in range(3)}
    together = await asyncio.gather(*(sleeping().rows(engine, 0.05, connection=connection) for _ in range(3)))
    assert {rows[0].pid for rows in together} == pids and len(pids) == 1  # one connection, reads taking turns
    [pid] = pids
    async with engine.connect() as admin:
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await asyncio.sleep(0.3)
    with pytest.raises(Exception) as lost:
        await sleeping().rows(engine, 0.0, connection=connection)
    assert is_outage(lost.value)
    [after] = await sleeping().rows(engine, 0.0, connection=connection)
    assert after.pid != pid
    await connection.release()
    assert pool.checkedout() == 0
