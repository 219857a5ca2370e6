"""RowPresenter makes exactly the object the dataclass's own __init__ would, from any kind of row."""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from typing import Any

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from graph.presenting import RowPresenter, present

MISSING_KEY: Any = object()


@dataclasses.dataclass
class Card:
    id: int
    title: str
    status: str
    key: str | None = MISSING_KEY


@dataclasses.dataclass
class Checked:
    id: int

    def __post_init__(self) -> None:
        raise AssertionError("never skipped silently")


LinkRow = namedtuple("LinkRow", "id title status key")
PlainRow = namedtuple("PlainRow", "status id title extra")


class Entity:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def test_rows_of_each_shape_make_what_init_makes() -> None:
    presenter = RowPresenter(Card)
    assert presenter(LinkRow(1, "a", "new", "k/1")) == Card(1, "a", "new", "k/1")
    # A row without `key` (another statement's shape) keeps the default; both shapes keep working afterwards.
    assert presenter(PlainRow("old", 2, "b", "ignored")) == Card(2, "b", "old")
    assert presenter(Entity(id=3, title="c", status="new")) == Card(3, "c", "new")
    assert presenter(LinkRow(4, "d", "new", None)) == Card(4, "d", "new", None)
    made = presenter(PlainRow("old", 5, "e", None))
    assert made.key is MISSING_KEY and not hasattr(made, "extra")


async def test_sqlalchemy_rows_are_told_apart_by_their_columns(app: Starlette) -> None:
    async with app.state.resources.engine.connect() as connection:
        first = (await connection.execute(text("SELECT 1 AS id, 'a' AS title, 'new' AS status, 'k' AS key"))).one()
        second = (await connection.execute(text("SELECT 2 AS id, 'b' AS title, 'old' AS status"))).one()
    assert type(first) is type(second)  # one Row class for every statement's rows
    presenter = RowPresenter(Card)
    assert presenter(first) == Card(1, "a", "new", "k")
    assert presenter(second) == Card(2, "b", "old")


def test_renamed_and_converted_fields() -> None:
    presenter = RowPresenter(Card, renamed={"title": "name"}, convert={"status": str.upper})
    Named = namedtuple("Named", "id name status")
    assert presenter(Named(1, "a", "new")) == Card(1, "a", "NEW")


def test_a_field_missing_from_the_row_without_a_default_is_an_error() -> None:
    with pytest.raises(TypeError, match="no 'title'"):
        RowPresenter(Card)(namedtuple("Short", "id status")(1, "new"))


def test_classes_with_post_init_are_refused() -> None:
    with pytest.raises(TypeError, match="__post_init__"):
        RowPresenter(Checked)


def test_present_keeps_one_presenter_per_class() -> None:
    assert present(Card, LinkRow(1, "a", "new", None)) == Card(1, "a", "new", None)
    assert present(Card, PlainRow("x", 2, "b", 0)) == Card(2, "b", "x")
