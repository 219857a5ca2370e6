"""Statements around per-request conditions, compiled once per shape (db/shaped_select.py): the same statement for
the same shape whatever the values, another for another shape, each value bound where its condition was, and no
`IN (list)` (whose SQL would depend on the list's length)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any, NamedTuple

import pytest
from sqlalchemy import ColumnElement, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from db.engine import read_engine
from db.models import Subject
from db.models.enums import Gender
from db.shaped_select import Conditions, Shaped, ShapedSelects
from tests.conftest import Accounts
from tests.seed_rows import Seed


class Counted(NamedTuple):
    total: int


def counting(conditions: Conditions, dialect: Any) -> Shaped[Counted]:
    parameterised, names = conditions.parameterised("w")
    statement = select(Subject.id.is_not(None).label("total")).where(*parameterised)
    return Shaped.of(statement, names, dialect=dialect, row_type=Counted)


def owned_by(owner_id: uuid.UUID, *genders: Gender) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Subject.owner_id == owner_id, Subject.deleted_at.is_(None)]
    if genders:
        conditions.append(Subject.gender == any_(literal(list(genders), ARRAY(Subject.gender.type))))
    return conditions


def test_one_statement_per_shape_whatever_the_values(app: Starlette) -> None:
    dialect = read_engine(app.state.resources.engine).dialect
    made: ShapedSelects[Counted] = ShapedSelects()
    first, second = Conditions.of(owned_by(uuid.uuid4())), Conditions.of(owned_by(uuid.uuid4()))
    assert first.shape == second.shape and first.values != second.values
    statement = made.get(first.shape, partial(counting, first, dialect))
    assert made.get(second.shape, partial(counting, second, dialect)) is statement
    filtered = Conditions.of(owned_by(uuid.uuid4(), Gender.FEMALE))
    longer = Conditions.of(owned_by(uuid.uuid4(), Gender.FEMALE, Gender.MALE))
    assert filtered.shape != first.shape and filtered.shape == longer.shape  # an array: one shape for any length
    assert made.get(filtered.shape, partial(counting, filtered, dialect)) is not statement


async def test_each_request_binds_its_own_values(
    app: Starlette, accounts: Accounts, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner = await accounts.user()
    seed = Seed(owner_id=owner.id)
    seed.subject([])
    seed.subject([])
    await seed.write(session_factory)
    engine = read_engine(app.state.resources.engine)
    made: ShapedSelects[Counted] = ShapedSelects()
    for owner_id, genders, expected in (
        (owner.id, (), 2),
        (uuid.uuid4(), (), 0),
        (owner.id, (Gender.FEMALE,), 2),
        (owner.id, (Gender.MALE, Gender.NON_BINARY), 0),
        (owner.id, (Gender.MALE, Gender.FEMALE), 2),
    ):
        conditions = Conditions.of(owned_by(owner_id, *genders))
        shaped = made.get(conditions.shape, partial(counting, conditions, engine.dialect))
        rows = await shaped.select.rows(engine, *shaped.values(conditions.values))
        assert len(rows) == expected, (owner_id == owner.id, genders)


def test_a_value_used_twice_is_one_parameter_and_part_of_the_shape() -> None:
    owner = literal(uuid.uuid4(), Subject.owner_id.type)
    twice = Conditions.of([Subject.owner_id == owner, Subject.organization_id != owner])
    apart = Conditions.of([Subject.owner_id == uuid.uuid4(), Subject.organization_id != uuid.uuid4()])
    assert len(twice.values) == 1 and len(apart.values) == 2
    assert twice.shape != apart.shape
    _, names = twice.parameterised("w")
    assert names == ("w0",)


def test_an_in_list_is_refused() -> None:
    conditions = Conditions.of([Subject.gender.in_([Gender.FEMALE])])
    with pytest.raises(TypeError, match="= ANY"):
        conditions.parameterised("w")
