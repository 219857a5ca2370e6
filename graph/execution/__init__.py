"""How the schema executes an operation: graphql-core, with a faster path for clean answers (context.py)."""

from typing import Literal

from graph.execution.acyclic import AcyclicExecutionContext
from graph.execution.context import BreadthFirstExecutionContext

__all__ = ["AcyclicExecutionContext", "BreadthFirstExecutionContext", "execution_context_class"]


def execution_context_class(execution: Literal["fast", "standard"]) -> type[AcyclicExecutionContext]:
    """The execution context of the `GRAPHQL_EXECUTION` setting: the breadth-first path, or graphql-core's own
    (both without graphql-core's per-operation reference cycles: acyclic.py)."""
    return BreadthFirstExecutionContext if execution == "fast" else AcyclicExecutionContext
