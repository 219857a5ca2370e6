"""How the schema executes an operation: graphql-core, with a faster path for clean answers (context.py)."""

from graph.execution.context import BreadthFirstExecutionContext

__all__ = ["BreadthFirstExecutionContext"]
