"""graphql-core's private names that graph/execution/ builds on (core/internals/graphql_core.py) are still there
and shaped as it relies on. A failure here after an upgrade names what changed: adapt core/internals/graphql_core.py
and graph/execution/, or keep graphql-core at the version pinned in pyproject.toml."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import graphql
import pytest
from graphql import GraphQLResolveInfo, build_schema
from graphql.pyutils import Path

from core.internals import graphql_core
from core.internals.strawberry import StrawberryGraphQLCoreExecutionContext
from tests.core.internals_checks import UpgradeCheck

CHECK = UpgradeCheck(
    library="graphql-core",
    installed=version("graphql-core"),
    written_for=graphql_core.WRITTEN_FOR,
    module="core/internals/graphql_core.py",
    users="graph/execution/",
)


@pytest.mark.parametrize("name", graphql_core.EXECUTOR_METHODS)
def test_each_executor_method_takes_the_parameters_the_fast_path_passes(name: str) -> None:
    method = getattr(StrawberryGraphQLCoreExecutionContext, name, None)
    if method is None:
        CHECK.fail(f"executor method {name}", "is gone")
    parameters = tuple(inspect.signature(method).parameters)[1:]
    if parameters != graphql_core.EXECUTOR_METHODS[name]:
        CHECK.fail(f"executor method {name}", f"takes {parameters}, not {graphql_core.EXECUTOR_METHODS[name]}")


def test_the_executor_has_the_attributes_the_fast_path_reads() -> None:
    schema = build_schema("type Query { a: Int }")
    executor: Any = StrawberryGraphQLCoreExecutionContext.build(schema, graphql.parse("{ a }"))
    for name in graphql_core.EXECUTOR_ATTRIBUTES:
        if not hasattr(executor, name):
            CHECK.fail(f"executor attribute {name}", "is gone")
    if not isinstance(executor.collected_errors, graphql_core.CollectedErrors):
        CHECK.fail("collected_errors", "is no longer a CollectedErrors")
    if executor.collected_errors.errors != [] or graphql_core.CollectedErrors().errors != []:
        CHECK.fail("CollectedErrors", "no longer lists its errors as .errors")


def test_collected_fields_are_lists_of_field_details_grouped_by_response_name() -> None:
    schema = build_schema("type Query { a: Int b: Int }")
    executor: Any = StrawberryGraphQLCoreExecutionContext.build(schema, graphql.parse("{ a x: b a }"))
    query_type = schema.query_type
    assert query_type is not None
    root_details = [graphql_core.FieldDetails(executor.operation, None)]
    grouped = executor.collect_subfields(query_type, root_details).grouped_field_set
    if not isinstance(grouped, dict) or list(grouped) != ["a", "x"]:
        CHECK.fail("collect_subfields", f"answers {grouped!r}, not a dict by response name")
    details = grouped["a"]
    if not isinstance(details, list) or not all(isinstance(each, graphql_core.FieldDetails) for each in details):
        CHECK.fail("GroupedFieldSet", "no longer holds lists of FieldDetails")
    if [each.node.name.value for each in details] != ["a", "a"] or details[0].fragment_variable_values is not None:
        CHECK.fail("FieldDetails", "no longer holds .node and .fragment_variable_values")
    if graphql_core.to_nodes(details) != [each.node for each in details]:
        CHECK.fail("to_nodes", "no longer lists the details' nodes")
    # Memoised per selection: the fast path keys its plans by the grouped field set's identity.
    if executor.collect_subfields(query_type, root_details).grouped_field_set is not grouped:
        CHECK.fail("collect_subfields", "is not memoised for the same details")


def test_paths_and_resolve_infos_are_named_tuples_laid_out_as_made_directly() -> None:
    if Path._fields != graphql_core.PATH_FIELDS:
        CHECK.fail("Path", f"has the fields {Path._fields}, not {graphql_core.PATH_FIELDS}")
    root = graphql_core.new_path(None, "items", "Query")
    item = graphql_core.new_path(root, 0, None)
    assert item == Path(Path(None, "items", "Query"), 0, None) and item.as_list() == ["items", 0]
    if "path" not in GraphQLResolveInfo._fields:
        CHECK.fail("GraphQLResolveInfo", "has no path field")
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
