"""The Strawberry `Info` objects that the breadth-first path hands to resolvers it calls directly (plans.py).

graphql-core makes a resolve info per object and field, and Strawberry an `Info` around it: on a nested guidelines
page ~1,450 of each, each made from 15 values. Here the objects of one level share everything but their path:
each object's `Info` holds the level's resolve info and its own index, and makes its own resolve info (with its
own path) only when something reads more than the context. A resolver therefore sees exactly what graphql-core
would have given it, its path included.

A level form (levels.py) answers many objects at once, so its `Info` has no single path: reading it is a bug in
the level form, raised as `LevelInfoHasNoPath`, which `except Exception` cannot swallow into a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.types.field import StrawberryField

from core.internals.graphql_core import with_other_paths
from graph.execution.paths import LevelPaths

ResolveInfo = GraphQLResolveInfo[Any]


class LevelInfoHasNoPath(BaseException):
    """A level form read `info.path`: its Info stands for many objects. Derived from BaseException so that no
    `except Exception` in the level form turns it into an answer; the breadth-first path reports it as an
    unexpected error of the field, for each of the level's objects."""


class Level:
    """What the objects of one level share: the first object's resolve info, the field, and their paths."""

    __slots__ = ("field", "info", "paths", "with_path")

    def __init__(self, info: ResolveInfo, field: StrawberryField, paths: LevelPaths) -> None:
        self.info = info
        self.field = field
        self.paths = paths
        self.with_path: Callable[[Path], ResolveInfo] = with_other_paths(info)


ObjectInfoFactory = Callable[[Level, int], Any]

# Per Info class (one per schema configuration): made once, as a class is.
_object_info_factories: dict[type[Any], ObjectInfoFactory] = {}
_level_info_classes: dict[type[Any], type[Any]] = {}


def object_info_factory(info_class: type[Any]) -> ObjectInfoFactory:
    """A maker of the schema's Info (`info_class`) for the object at an index of a level (one per Info class)."""
    factory = _object_info_factories.get(info_class)
    if factory is None:
        factory = _object_info_factories[info_class] = _object_info_factory(info_class)
    return factory


def level_info_class(info_class: type[Any]) -> type[Any]:
    """The schema's Info class, for the Info a level form gets for all the objects of its level."""
    level_class = _level_info_classes.get(info_class)
    if level_class is None:
        level_class = _level_info_classes[info_class] = _level_info_class(info_class)
    return level_class


def _object_info_factory(info_class: type[Any]) -> ObjectInfoFactory:

    class ObjectInfo(info_class):  # type: ignore[misc]  # the schema's Info class, a value here
        __slots__ = ("_index", "_level", "_own")
        _level: Level
        _index: int
        _own: ResolveInfo | None  # this object's resolve info, once made

        @property
        def _raw_info(self) -> ResolveInfo:
            own: ResolveInfo | None = self._own
            if own is None:
                level: Level = self._level
                own = self._own = level.with_path(level.paths.at(self._index))
            return own

        @property
        def _field(self) -> StrawberryField:
            field: StrawberryField = self._level.field
            return field

        @property
        def context(self) -> Any:  # what nearly every resolver reads: the same for the whole level
            return self._level.info.context

    new = object.__new__

    def make(level: Level, index: int) -> Any:
        info = new(ObjectInfo)
        info._level, info._index, info._own = level, index, None
        return info

    return make


def _level_info_class(info_class: type[Any]) -> type[Any]:
    class LevelInfo(info_class):  # type: ignore[misc]  # the schema's Info class, a value here
        @property
        def path(self) -> Path:
            raise LevelInfoHasNoPath("a level form's Info stands for many objects: it has no single path")

    return LevelInfo
