"""Grouping a batch's rows under the keys asked for."""

from __future__ import annotations

from collections import namedtuple

from graph.loaders import group_by, group_keyed

Row = namedtuple("Row", "owner position")


def test_rows_are_grouped_under_each_key_in_key_order_keeping_their_order() -> None:
    # Runs of one key (a statement ordered by it) and keys that come back later (one ordered by something else).
    rows = [Row("a", 1), Row("a", 2), Row("b", 1), Row("a", 3), Row("c", 1), Row("b", 2)]
    grouped = group_by(rows, "owner", ["c", "missing", "a", "b"])
    assert grouped == [[Row("c", 1)], [], [Row("a", 1), Row("a", 2), Row("a", 3)], [Row("b", 1), Row("b", 2)]]


def test_no_rows_gives_an_empty_group_per_key() -> None:
    assert group_by([], "owner", ["a", "b"]) == [[], []]


def test_keyed_rows_are_grouped_under_each_key_without_their_key() -> None:
    rows = [Row("x", 1), Row("y", 2), Row("x", 3), Row("z", 4)]
    grouped = group_keyed(["a", "a", "b", "a"], rows, ["b", "missing", "a"])
    assert grouped == [[Row("x", 3)], [], [Row("x", 1), Row("y", 2), Row("z", 4)]]
