"""graphql-core's private names that the breadth-first execution (graph/execution/) builds on.

graphql-core is pinned exactly (pyproject.toml) because of these. The execution context subclasses graphql-core's
executor and overrides or calls methods its documentation marks `:meta private:` (`EXECUTOR_METHODS`); it takes
the collected-field types and the executor's error collection from modules graphql-core does not export (new in
3.3); and it makes `Path` and
`GraphQLResolveInfo` values as plain tuples, relying on both being NamedTuples laid out as below, because their
generated `__new__` was a measurable part of a page's cost. tests/core/test_internals_graphql_core.py checks every
one of these against the installed graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from graphql import GraphQLResolveInfo
from graphql.execution.collect_fields import FieldDetails, FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import CollectedErrors
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path

# The version this module was written for (the tests name it when a check fails).
WRITTEN_FOR = "3.3.2"

__all__ = [
    "EXECUTOR_ATTRIBUTES",
    "EXECUTOR_METHODS",
    "CollectedErrors",
    "FieldDetails",
    "FieldDetailsList",
    "GroupedFieldSet",
    "get_argument_values",
    "new_path",
    "to_nodes",
    "with_other_paths",
]

# Executor methods the breadth-first context overrides or calls, with the parameters (after self) it relies on.
EXECUTOR_METHODS: dict[str, tuple[str, ...]] = {
    "execute_fields": ("parent_type", "source_value", "path", "grouped_field_set", "position_context"),
    "execute_field": ("parent_type", "source", "field_details_list", "path", "position_context"),
    "complete_value": ("return_type", "field_details_list", "info", "path", "result", "position_context"),
    "complete_awaitable_value": ("return_type", "field_details_list", "info", "path", "result", "position_context"),
    "collect_subfields": ("return_type", "field_details_list"),
    "build_resolve_info": ("field_def", "field_nodes", "parent_type", "path"),
    "handle_field_error": ("raw_error", "return_type", "field_details_list", "path"),
    # graph/execution/acyclic.py: the response built, the executor lets go of its errors.
    "build_response": ("data",),
    "gather_async_work": ("values",),
    "track_async_work": ("values",),
}

# Executor attributes it reads, set by the executor's __init__.
EXECUTOR_ATTRIBUTES = (
    "middleware_manager",
    "variable_values",
    "hide_suggestions",
    "field_resolver",
    "schema",
    "async_helpers",  # graphql-core's own bound methods (a cycle through the executor): acyclic.py replaces them
    "collected_errors",  # a `CollectedErrors`, whose `errors` the response holds
)

# The field order of the NamedTuples made directly below.
PATH_FIELDS = ("prev", "key", "typename")
_new_tuple = tuple.__new__
_InfoT = TypeVar("_InfoT", bound="GraphQLResolveInfo[Any]")


def new_path(prev: Path | None, key: str | int, typename: str | None) -> Path:
    """`Path(prev, key, typename)` without the NamedTuple's generated `__new__` (a Python call per path)."""
    path: Path = _new_tuple(Path, (prev, key, typename))
    return path


def with_other_paths(info: _InfoT) -> Callable[[Path], _InfoT]:
    """A maker of `info` with another path (the resolve infos of a level's objects differ in nothing else), each
    made as a tuple of Strawberry's subclass of the NamedTuple, not through its `__new__` of 15 arguments."""
    info_class, at = type(info), info._fields.index("path")
    before, after = info[:at], info[at + 1 :]

    def with_path(path: Path) -> _InfoT:
        made: _InfoT = _new_tuple(info_class, (*before, path, *after))
        return made

    return with_path


def to_nodes(details: FieldDetailsList) -> list[Any]:
    """The field nodes of a field's details, as graphql-core's executor hands them to resolve infos and errors."""
    return [field_details.node for field_details in details]
