"""graphql-core's private names that graph/execution/ builds on (core/internals/graphql_core.py) are still there
and shaped as it relies on. A failure here after an upgrade names what changed: adapt core/internals/graphql_core.py
and graph/execution/, or keep graphql-core at the version pinned in pyproject.toml."""

from __future__ import annotations

import inspect
from typing import Any, NoReturn

import graphql
import pytest
from graphql import GraphQLResolveInfo, build_schema
from graphql.pyutils import Path

from core.internals import graphql_core
from core.internals.strawberry import StrawberryGraphQLCoreExecutionContext

UPGRADE = "graphql-core {version}: {what}. Adapt core/internals/graphql_core.py and graph/execution/ to it."


def _fail(what: str) -> NoReturn:
    pytest.fail(UPGRADE.format(version=graphql.__version__, what=what))


@pytest.mark.parametrize("name", graphql_core.EXECUTOR_METHODS)
def test_each_executor_method_takes_the_parameters_the_fast_path_passes(name: str) -> None:
    method = getattr(StrawberryGraphQLCoreExecutionContext, name, None)
    if method is None:
        _fail(f"the executor has no method {name}")
    parameters = tuple(inspect.signature(method).parameters)[1:]
    if parameters != graphql_core.EXECUTOR_METHODS[name]:
        _fail(f"{name} takes {parameters}, not {graphql_core.EXECUTOR_METHODS[name]}")


def test_the_executor_has_the_attributes_the_fast_path_reads() -> None:
    schema = build_schema("type Query { a: Int }")
    executor: Any = StrawberryGraphQLCoreExecutionContext.build(schema, graphql.parse("{ a }"))
    for name in graphql_core.EXECUTOR_ATTRIBUTES:
        if not hasattr(executor, name):
            _fail(f"an executor has no attribute {name}")


def test_collected_fields_are_lists_of_field_details_grouped_by_response_name() -> None:
    schema = build_schema("type Query { a: Int b: Int }")
    executor: Any = StrawberryGraphQLCoreExecutionContext.build(schema, graphql.parse("{ a x: b a }"))
    query_type = schema.query_type
    assert query_type is not None
    root_details = [graphql_core.FieldDetails(executor.operation, None)]
    grouped = executor.collect_subfields(query_type, root_details).grouped_field_set
    if not isinstance(grouped, dict) or list(grouped) != ["a", "x"]:
        _fail(f"collect_subfields(...).grouped_field_set is {grouped!r}, not a dict by response name")
    details = grouped["a"]
    if not isinstance(details, list) or not all(isinstance(each, graphql_core.FieldDetails) for each in details):
        _fail("a grouped field set's values are not lists of FieldDetails")
    if [each.node.name.value for each in details] != ["a", "a"] or details[0].fragment_variable_values is not None:
        _fail("FieldDetails no longer holds .node and .fragment_variable_values")
    if graphql_core.to_nodes(details) != [each.node for each in details]:
        _fail("to_nodes no longer lists the details' nodes")
    # Memoised per selection: the fast path keys its plans by the grouped field set's identity.
    if executor.collect_subfields(query_type, root_details).grouped_field_set is not grouped:
        _fail("collect_subfields is not memoised for the same details")


def test_paths_and_resolve_infos_are_named_tuples_laid_out_as_made_directly() -> None:
    if Path._fields != graphql_core.PATH_FIELDS:
        _fail(f"Path's fields are {Path._fields}, not {graphql_core.PATH_FIELDS}")
    root = graphql_core.new_path(None, "items", "Query")
    item = graphql_core.new_path(root, 0, None)
    assert item == Path(Path(None, "items", "Query"), 0, None) and item.as_list() == ["items", 0]
    if "path" not in GraphQLResolveInfo._fields:
        _fail("GraphQLResolveInfo has no path field")
    fields = GraphQLResolveInfo._fields
    info = GraphQLResolveInfo(*(f"value of {name}" for name in fields))  # type: ignore[arg-type]
    moved = graphql_core.with_other_paths(info)(item)
    assert type(moved) is GraphQLResolveInfo and moved.path is item
    assert all(getattr(moved, name) == getattr(info, name) for name in fields if name != "path")


def test_argument_values_are_coerced_from_a_field_node() -> None:
    schema = build_schema("type Query { a(times: Int = 2): Int }")
    executor: Any = StrawberryGraphQLCoreExecutionContext.build(schema, graphql.parse("{ a(times: 3) }"))
    query_type = schema.query_type
    assert query_type is not None
    node = executor.operation.selection_set.selections[0]
    values = graphql_core.get_argument_values(
        query_type.fields["a"], node, executor.variable_values, None, executor.hide_suggestions
    )
    assert values == {"times": 3}
