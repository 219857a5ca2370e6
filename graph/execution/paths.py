"""The paths of a level's objects (context.py), made only when something asks for one."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from graphql.pyutils import Path

from core.internals.graphql_core import new_path


class LevelPaths:
    """The paths of a level's objects, each made when asked for. Resolvers called directly get an Info per object
    that makes its path only when read (infos.py), and graphql-core reports errors with paths of its own (a failing
    level is answered again by it): a path for every object and field, made up front, was most of what remained of
    a level's own cost."""

    __slots__ = ("_at", "_length")

    def __init__(self, length: int, at: Callable[[int], Path]) -> None:
        self._length = length
        self._at = at

    def __len__(self) -> int:
        return self._length

    def at(self, index: int) -> Path:
        return self._at(index)

    def all(self) -> list[Path]:
        return [self._at(index) for index in range(self._length)]

    def subset(self, indexes: list[int]) -> LevelPaths:
        """The paths at these indexes (the objects of a level that are not null)."""
        at = self._at
        return LevelPaths(len(indexes), lambda index: at(indexes[index]))

    def items(self, starts: list[int], count: int) -> LevelPaths:
        """The paths of `count` list items laid end to end, one list per path here, list `i` starting at
        `starts[i]`."""
        at = self._at

        def item(index: int) -> Path:
            owner = bisect_right(starts, index) - 1  # the last list starting at or before the item
            return new_path(at(owner), index - starts[owner], None)

        return LevelPaths(count, item)

    def child(self, key: str, type_name: str) -> LevelPaths:
        """Each object's path extended by `key` (a field of `type_name`)."""
        at = self._at
        return LevelPaths(self._length, lambda index: new_path(at(index), key, type_name))
