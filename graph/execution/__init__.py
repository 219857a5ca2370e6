"""How the schema executes an operation: graphql-core, with a faster path for clean answers (context.py)."""

from typing import Literal

from core.internals.strawberry import StrawberryGraphQLCoreExecutionContext
from graph.execution.context import BreadthFirstExecutionContext

__all__ = ["BreadthFirstExecutionContext", "execution_context_class"]


def execution_context_class(execution: Literal["fast", "standard"]) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The execution context of the `GRAPHQL_EXECUTION` setting: the breadth-first path, or graphql-core's own."""
    return BreadthFirstExecutionContext if execution == "fast" else StrawberryGraphQLCoreExecutionContext
