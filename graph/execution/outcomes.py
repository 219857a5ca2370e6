"""What the breadth-first path learnt before a level of it failed, so that graphql-core's completion of that level
(context.py) calls no resolver a second time.

A failing level is answered again by graphql-core, which reports errors, their paths and null propagation as only
it does. Without this record it would call every resolver below the level again: twice for one request, which is
wrong for any resolver that is not a pure read. So, as the failure travels up the levels, each field that had
resolved records what it had, per object: a field whose answer is complete records the answer itself (graphql-core
uses it as it is: nothing below it runs again); a field that failed, or whose completion failed, records its
resolvers' values or exceptions (graphql-core completes the value, or reports the exception, as if the resolver had
just returned or raised it). A coroutine that never started is not recorded: its resolver's body never ran.

Objects are told apart by identity and fields by graphql-core's collected details (one list per field and selection
for the whole request): the record keeps both alive, so neither identity can be reused while it lasts. Nothing is
recorded while every level is clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.internals.graphql_core import FieldDetailsList
from graph.execution.concurrently import Failed


@dataclass(frozen=True, slots=True)
class Completed:
    """The field's complete answer for the object."""

    value: Any


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the field's resolver returned (a value, or a future not yet done) or raised for the object."""

    value: Any
    error: Exception | None


Outcome = Completed | Resolved


class Outcomes:
    def __init__(self) -> None:
        # (id(details), id(source)) -> (details, source, outcome): the first two keep the ids from being reused.
        self._recorded: dict[tuple[int, int], tuple[FieldDetailsList, Any, Outcome]] = {}

    def __bool__(self) -> bool:
        return bool(self._recorded)

    def get(self, details: FieldDetailsList, source: Any) -> Outcome | None:
        recorded = self._recorded.get((id(details), id(source)))
        return recorded[2] if recorded is not None else None

    def completed(self, details: FieldDetailsList, sources: Sequence[Any], answers: Sequence[Any]) -> None:
        for source, answer in zip(sources, answers, strict=True):
            self._recorded[(id(details), id(source))] = (details, source, Completed(answer))

    def resolved(self, details: FieldDetailsList, sources: Sequence[Any], values: Sequence[Any]) -> None:
        """The resolvers' values for `sources`, in order: plain values, `Failed(error)`, or awaitables (only
        futures are kept: a coroutine that never ran is left for graphql-core to run)."""
        for source, value in zip(sources, values, strict=True):
            if isinstance(value, Failed):
                self.failed(details, source, value.error)
            else:
                self.returned(details, source, value)

    def returned(self, details: FieldDetailsList, source: Any, value: Any) -> None:
        if not _unstarted(value):
            self._recorded[(id(details), id(source))] = (details, source, Resolved(value, None))

    def failed(self, details: FieldDetailsList, source: Any, error: BaseException) -> None:
        self._recorded[(id(details), id(source))] = (details, source, Resolved(None, _reportable(error)))


def _unstarted(value: Any) -> bool:
    return hasattr(value, "__await__") and not hasattr(value, "done")  # a coroutine (or other awaitable), not a future


def _reportable(error: BaseException) -> Exception:
    """graphql-core reports exceptions; anything else a resolver raised (not KeyboardInterrupt or SystemExit: those
    are never caught) is reported as an unexpected error that says what it was."""
    if isinstance(error, Exception):
        return error
    reported = RuntimeError(f"{type(error).__name__}: {error}")
    reported.__cause__ = error
    return reported
