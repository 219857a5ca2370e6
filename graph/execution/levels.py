"""Resolvers with a second form that answers a whole level of objects at once.

A relation field resolved object by object costs a coroutine, a dataloader future and a wake-up per object,
stepped by `settle_all`: for the ~550 relation fields of a nested guidelines page, three times what loading the
same keys with one `load_many` costs. A resolver marked with `answers_levels(level)` is called by the breadth-first
execution context (context.py) as `level(objects, info)` once per level instead: a list of answers in the
objects' order, or an awaitable of one (the answers may themselves be awaitables). graphql-core's own execution,
which answers whatever the breadth-first path leaves to it, calls the resolver itself, which must therefore
answer exactly what `level([self], info)` answers for it.

Fields are not marked here by hand: `graph.relations.relation(level)` declares a relation field from its level
form and makes that per-object resolver itself, so the two forms cannot disagree. plans.py finds the level form
of a field's resolver with `level_resolver_of`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

# The objects and the Info are whatever the execution hands over: the level forms themselves are typed where they
# are written (graph/relations.py).
LevelResolver = Callable[[list[Any], Any], "Sequence[Any] | Awaitable[Sequence[Any]]"]
ResolverT = TypeVar("ResolverT", bound=Callable[..., Any])

_LEVEL_ATTRIBUTE = "__answers_levels__"


def answers_levels(level: LevelResolver) -> Callable[[ResolverT], ResolverT]:
    """Marks a resolver `(self, info)` whose whole-level form is `level(objects, info)`."""

    def mark(resolver: ResolverT) -> ResolverT:
        setattr(resolver, _LEVEL_ATTRIBUTE, level)
        return resolver

    return mark


def level_resolver_of(resolver: Callable[..., Any]) -> LevelResolver | None:
    """The level form `answers_levels` marked on `resolver`, if any."""
    level: LevelResolver | None = getattr(resolver, _LEVEL_ATTRIBUTE, None)
    return level
