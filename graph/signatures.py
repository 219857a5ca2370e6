"""Strawberry fields whose resolver signature is built rather than written: Strawberry reads a resolver's GraphQL
arguments and type from its signature, so a field made for many domains (graph/crud.py, graph/lists.py) sets
that signature itself, with the types themselves rather than names to look up in a module."""

from __future__ import annotations

import dataclasses
import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from graph.arguments import described
from graph.context import Info


def argument(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """A GraphQL argument `name` (snake_case: Strawberry camel-cases it) of this type, optional with a default
    (`dataclasses.MISSING`, as a dataclass field without one has, means required). A shared argument gets the
    glossary's description (graph/arguments.py) unless its annotation carries its own."""
    if default is dataclasses.MISSING:
        default = inspect.Parameter.empty
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=described(name, annotation), default=default
    )


ORGANIZATION = argument("organization_id", uuid.UUID | None, None)


def field_of(
    resolve: Callable[..., Awaitable[Any]],
    arguments: list[inspect.Parameter],
    returns: Any,
    description: str | None,
    *,
    mutation: bool = False,
) -> StrawberryField:
    """A Strawberry field (a mutation with `mutation`) of `resolve(info, **arguments)`, answering `returns`."""
    info = inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info)
    signature = inspect.Signature([info, *arguments], return_annotation=returns)
    setattr(resolve, "__signature__", signature)  # noqa: B010 - not a declared attribute of functions
    resolve.__annotations__ = {
        **{parameter.name: parameter.annotation for parameter in signature.parameters.values()},
        "return": returns,
    }
    made: StrawberryField = (
        strawberry.mutation(resolver=resolve, description=description)
        if mutation
        else strawberry.field(resolver=resolve, description=description)
    )
    return made
