"""Strawberry's `field`, `mutation` and `subscription` decorators, typed for `mypy --strict`.

Strawberry declares `strawberry.field(description=...)` (the decorator form, without a resolver) as returning
`Any`, so under `--strict` every resolver it decorates would become untyped (`untyped-decorator`): its signature
unchecked wherever it is used. These return the same decorators, declared as keeping the resolver's type. At
runtime Strawberry replaces the method by a `StrawberryField` that only the schema reads: nothing in the project
calls a resolver through its class. A field without a description (None) has none in the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

ResolverT = TypeVar("ResolverT", bound=Callable[..., Any])


def field(description: str | None) -> Callable[[ResolverT], ResolverT]:
    """`@strawberry.field(description=...)` on a resolver."""
    decorate: Callable[[ResolverT], ResolverT] = strawberry.field(description=description)
    return decorate


def mutation(description: str | None) -> Callable[[ResolverT], ResolverT]:
    """`@strawberry.mutation(description=...)` on a resolver."""
    decorate: Callable[[ResolverT], ResolverT] = strawberry.mutation(description=description)
    return decorate


def subscription(description: str | None) -> Callable[[ResolverT], ResolverT]:
    """`@strawberry.subscription(description=...)` on a resolver."""
    decorate: Callable[[ResolverT], ResolverT] = strawberry.subscription(description=description)
    return decorate
