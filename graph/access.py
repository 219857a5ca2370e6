"""Who may call an operation, declared on its field rather than checked by hand in its body.

An operation declares its access (`SIGNED_IN`, the default, or `SUPERUSER`) where it is defined:

    @access.mutation("Copy a subject (superusers only) ...", SUPERUSER)
    async def copy_subject(self, info: Info, caller: Caller, id: uuid.UUID) -> Subject: ...

The check runs before the resolver, and the resolver receives the `Caller` it produced as its `caller`
parameter, which the schema does not show (it is not a GraphQL argument). graph/crud.py builds the CRUD fields
of every domain on the same declarations.

Why not Strawberry's `permission_classes`: a permission class answers yes or no, while the resolver needs the
caller that the check found, and the refusal must be the domain's error (UNAUTHENTICATED with the token's
problem, FORBIDDEN with its message), raised at the same moment as before.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from graph import fields
from graph.context import Context, Info
from services.caller import Caller

P = ParamSpec("P")
R = TypeVar("R")
SelfT = TypeVar("SelfT")

# The resolver's parameter that receives the checked caller; hidden from the schema.
CALLER_PARAMETER = "caller"


@dataclass(frozen=True)
class Access:
    """Who may call an operation: `check` answers the caller or raises the refusal."""

    name: str
    check: Callable[[Context], Caller]

    def caller(self, context: Context) -> Caller:
        return self.check(context)


SIGNED_IN = Access("signed in", Context.require_caller)
SUPERUSER = Access("superuser", Context.require_superuser)

Guarded = Callable[Concatenate[SelfT, Info, Caller, P], Awaitable[R]]
# What Strawberry calls: the object (`self`) positionally, `info` and the arguments by keyword.
Resolver = Callable[..., Awaitable[R]]


def guarded(access: Access) -> Callable[[Guarded[SelfT, P, R]], Resolver[R]]:
    """The resolver `(self, info, caller, ...)` as Strawberry sees it, `(self, info, ...)`, checking `access`
    first and passing the caller on."""

    def wrap(resolver: Guarded[SelfT, P, R]) -> Resolver[R]:
        async def resolve(self: SelfT, info: Info, *args: P.args, **kwargs: P.kwargs) -> R:
            return await resolver(self, info, access.caller(info.context), *args, **kwargs)

        functools.update_wrapper(resolve, resolver)
        hide_caller(resolve, resolver)
        declare(resolve, access)
        return resolve

    return wrap


def declare(resolver: Callable[..., Any], access: Access) -> None:
    """Mark a resolver with the access it checks, so that the schema can be read for who may call what."""
    setattr(resolver, _DECLARED, access)


def declared(resolver: Callable[..., Any]) -> Access | None:
    """The access `resolver` declares, if it was made by `query`, `mutation` or graph/crud.py."""
    access: Access | None = getattr(resolver, _DECLARED, None)
    return access


_DECLARED = "__graph_access__"


def hide_caller(wrapper: Callable[..., Any], resolver: Callable[..., Any]) -> None:
    """Strawberry reads a resolver's arguments from its signature: the wrapper shows the resolver's, without
    `caller`. (Annotations stay strings, resolved in the resolver's module, whose name the wrapper keeps.)"""
    signature = inspect.signature(resolver)
    parameters = [parameter for name, parameter in signature.parameters.items() if name != CALLER_PARAMETER]
    setattr(wrapper, "__signature__", signature.replace(parameters=parameters))  # noqa: B010 - not a declared attribute
    wrapper.__annotations__ = {
        name: annotation for name, annotation in resolver.__annotations__.items() if name != CALLER_PARAMETER
    }


def query(description: str | None = None, access: Access = SIGNED_IN) -> Callable[[Guarded[SelfT, P, R]], Resolver[R]]:
    """`@fields.field(description)` on a resolver that `access` guards."""

    def decorate(resolver: Guarded[SelfT, P, R]) -> Resolver[R]:
        return fields.field(description)(guarded(access)(resolver))

    return decorate


def mutation(
    description: str | None = None, access: Access = SIGNED_IN
) -> Callable[[Guarded[SelfT, P, R]], Resolver[R]]:
    """`@fields.mutation(description)` on a resolver that `access` guards."""

    def decorate(resolver: Guarded[SelfT, P, R]) -> Resolver[R]:
        return fields.mutation(description)(guarded(access)(resolver))

    return decorate
