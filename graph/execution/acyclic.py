"""The execution context of both GRAPHQL_EXECUTION modes: graphql-core's (through Strawberry's), leaving nothing of
a request in a reference cycle.

A request allocates thousands of objects (the executor, the plans, the Context, loaders, rows, answers). Freed by
reference counting, they are gone the moment the request ends; held by one reference cycle, they all wait for the
cyclic collector, whose runs walk every live object and stall every request in flight (issue 15: a 264-455 ms
pause every ~13 s under load). graphql-core's executor closes two cycles through itself in every operation:

- its `async_helpers` (the `gather` and `track` a resolve info offers resolvers) are its own bound methods, which
  it holds: here they reach the executor through a weak reference instead. The executor outlives every resolver
  call (its coroutine runs them), so a helper finds it whenever a resolver may use one.
- an error keeps the frames it went through, every frame of an executor method holds the executor (`self`), and
  the executor holds the error (`collected_errors`, and the breadth-first path's outcomes). Once the response is
  built its errors are final: the response alone keeps them, and a located error drops its own traceback, which
  is only graphql-core's way up to the catching frame (whose frame holds the error again). The original error the
  resolver raised keeps its traceback, for the log line of an unexpected error (graph/errors.py).

tests/graph/test_reference_cycles.py counts what every kind of request leaves to the collector.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import GraphQLResolveInfoHelpers

from core.internals.graphql_core import CollectedErrors
from core.internals.strawberry import StrawberryGraphQLCoreExecutionContext


class OperationEnded(RuntimeError):
    """A resolver asked an executor whose operation has ended to track more work: nothing would wait for it."""


class AcyclicExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = weak_helpers(self)

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        for error in self.collected_errors.errors:
            if error.original_error is not None:
                error.__traceback__ = None
        # The response holds the list; a later error would be one of another response (subscription events
        # build their own executors).
        self.collected_errors = CollectedErrors()
        return response


def weak_helpers(executor: StrawberryGraphQLCoreExecutionContext) -> GraphQLResolveInfoHelpers:
    """`executor`'s gather and track, holding it weakly."""
    owner = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(owner).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(owner).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(
    owner: weakref.ref[StrawberryGraphQLCoreExecutionContext],
) -> StrawberryGraphQLCoreExecutionContext:
    executor = owner()
    if executor is None:
        raise OperationEnded("the operation this resolve info belongs to has ended")
    return executor
