"""One base for the list, get, create, update, delete and restore operations of every owned model.

A domain declares its model once, then one field per operation, each a line in its Query or Mutation class:

    RESOLUTION_PRESETS = Crud(ResolutionPresetRow, WHAT, ResolutionPreset)

    @strawberry.type
    class Query:
        resolution_presets = RESOLUTION_PRESETS.list("Resolution presets, by name. ...", LISTING, ResolutionPresets)
        resolution_preset = RESOLUTION_PRESETS.get()

    @strawberry.type
    class Mutation:
        create_resolution_preset = RESOLUTION_PRESETS.create(ResolutionPresetCreate, create)
        update_resolution_preset = RESOLUTION_PRESETS.update("...", ResolutionPresetUpdate, update)
        delete_resolution_preset = RESOLUTION_PRESETS.delete("Soft-delete a resolution preset (...).")
        restore_resolution_preset = RESOLUTION_PRESETS.restore("Restore a soft-deleted resolution preset (...).")

What the domain configures: the names (the class attributes), the descriptions, the model and the noun its
errors and messages use (`WHAT`), the output types, who may call each operation (`access`, graph/access.py:
declared, checked before anything else), a list's own arguments and filters (`Listing`), and the create and
update hooks that turn an input into the service call. What the base does, the same for every domain: the
checks in their order (access, input, page), the session (a read session for reads, a transaction for writes),
visibility (services/visibility.py through services/crud.py), and the answer.

A list's arguments are assembled here and nowhere else: the domain's own (a dataclass, in schema order), then
`skip` and `limit`; the rows are those `list_visible` finds for the caller, narrowed by the domain's filters.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import strawberry
from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from graph.access import SIGNED_IN, SUPERUSER, Access
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.loaders import Loaders
from graph.validation import InputErrors, check_page
from services import crud
from services.caller import Caller
from services.resources import Resources

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Presented(Protocol):
    """An output type made from a row: `Style.of(row)`."""

    @classmethod
    def of(cls, row: Any, /) -> Self: ...


class Page(Protocol):
    """A list's answer: `Styles(data=[...], count=...)`."""

    def __init__(self, *, data: list[Any], count: int) -> None: ...


class CreateInput(Protocol):
    """An `XCreate` input: its own checks, and the organization it may name besides the argument."""

    @property
    def organization_id(self) -> uuid.UUID | None: ...

    def check(self) -> None: ...


class UpdateInput(Protocol):
    """An `XUpdate` input: its own checks."""

    def check(self) -> None: ...


KeyT = TypeVar("KeyT")
KeyT_contra = TypeVar("KeyT_contra", contravariant=True)


class Lookup(Protocol[KeyT_contra]):
    """How `find` looks a row up by its key: services/styles.style_by_slug, services/shot_types.shot_type_by_name."""

    def __call__(
        self, session: AsyncSession, caller: Caller, key: KeyT_contra, /, *, organization_id: uuid.UUID | None
    ) -> Awaitable[Any]: ...


OutT = TypeVar("OutT", bound=Presented)
ArgsT = TypeVar("ArgsT", bound="DataclassInstance")
CreateT = TypeVar("CreateT", bound=CreateInput)
UpdateT = TypeVar("UpdateT", bound=UpdateInput)


@dataclass(frozen=True)
class Write:
    """What a create or update hook works with: the transaction's session, the process's resources, the caller,
    and the request's loaders (to forget what an earlier field of the document loaded before the change)."""

    session: AsyncSession
    resources: Resources
    caller: Caller
    loaders: Loaders

    @classmethod
    def of(cls, session: AsyncSession, info: Info, caller: Caller) -> Write:
        return cls(session, info.context.resources, caller, info.context.loaders)


# create(write, input, organization_id) and update(write, id, input, organization_id): the row written.
CreateHook = Callable[[Write, CreateT, uuid.UUID | None], Awaitable[Any]]
UpdateHook = Callable[[Write, uuid.UUID, UpdateT, uuid.UUID | None], Awaitable[Any]]


def _unfiltered(caller: Caller, arguments: Any) -> list[ColumnElement[bool]]:
    return []


@dataclass(frozen=True)
class OwnedArguments:
    """The arguments of a list narrowed only by organization and owner (`ownerId`: see `OwnerFilter`)."""

    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


class OwnerFilter(Enum):
    """What a list's `ownerId` argument keeps (superusers only: services/crud.owner_filters)."""

    OWNED = "owned"  # that user's rows
    OWNED_OR_PUBLIC = "owned or public"  # that user's rows and the public ones


@dataclass(frozen=True)
class Listing(Generic[ArgsT]):
    """A list's own arguments and how they narrow it.

    `arguments` is a dataclass whose fields are the list's arguments in schema order (their types and defaults
    are the schema's); `organization_id` and `include_public`, when among them, choose the visible set as
    services/visibility.list_filter says. The filters, in this order: `owner` (the `ownerId` argument), `equal`
    (each argument named here keeps, when given, the rows whose column of the same name holds its value),
    `search` (the `search` argument looks, case-insensitively, in these columns), then `where`: whatever else
    the domain answers for the caller and arguments (it may refuse, e.g. a filter for superusers only). `check`
    runs on the list's session before the page is read.
    """

    arguments: type[ArgsT]
    owner: OwnerFilter | None = None
    equal: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    where: Callable[[Caller, ArgsT], Sequence[ColumnElement[bool]]] = _unfiltered
    order_by: tuple[str, ...] = ()  # columns the page is sorted by (ascending) before newest first
    check: Callable[[AsyncSession, ArgsT], Awaitable[None]] | None = None
    _parameters: list[inspect.Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(self.arguments, include_extras=True)
        parameters = [
            _argument(item.name, hints[item.name], item.default) for item in dataclasses.fields(self.arguments)
        ]
        object.__setattr__(self, "_parameters", parameters)

    def parameters(self) -> list[inspect.Parameter]:
        """The list's arguments in schema order: its own, then the page's."""
        return [*self._parameters, _argument("skip", int, 0), _argument("limit", int, 100)]

    def check_columns(self, model: Any) -> None:
        """Every column `equal`, `search` and `order_by` name is the model's (found when the schema is built)."""
        missing = [name for name in (*self.equal, *self.search, *self.order_by) if not hasattr(model, name)]
        if missing:
            raise ValueError(f"{model.__name__} has no column {', '.join(missing)}")

    def filters(self, caller: Caller, model: Any, arguments: ArgsT) -> list[ColumnElement[bool]]:
        """The WHERE conditions these arguments ask for, besides visibility."""
        given: Any = arguments  # the dataclass that `arguments` declares
        filters: list[ColumnElement[bool]] = []
        if self.owner is not None:
            with_public = self.owner is OwnerFilter.OWNED_OR_PUBLIC
            filters += crud.owner_filters(caller, model, given.owner_id, with_public=with_public)
        for name in self.equal:
            value = getattr(given, name)
            if value is not None:
                column = getattr(model, name)
                filters.append(column.is_(value) if isinstance(value, bool) else column == value)
        search: str | None = given.search if self.search else None
        if search:
            pattern = crud.like_pattern(search)
            filters.append(or_(*(getattr(model, name).ilike(pattern) for name in self.search)))
        return [*filters, *self.where(caller, arguments)]


@dataclass(frozen=True)
class Crud(Generic[OutT]):
    """The operations on one model: an owned one (a table with owner, organization and soft delete), whose
    rows each caller sees as services/visibility.py says, or (`owned=False`) one whose lists only superusers read
    (users), which shows every row."""

    model: type[Any]
    what: str  # the noun of NOT_FOUND ("Style not found") and of the delete message ("Style deleted successfully")
    output: type[OutT]
    owned: bool = True

    def get(
        self,
        description: str | None = None,
        *,
        access: Access = SIGNED_IN,
        output: type[Presented] | None = None,
        scoped: bool = True,
    ) -> StrawberryField:
        """`x(id, organizationId)`: one visible row (`scoped=False`: no organizationId argument)."""
        present = output or self.output

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = access.caller(info.context)
            async with info.context.read_session() as session:
                row = await crud.get_visible(
                    session,
                    caller,
                    self.model,
                    arguments["id"],
                    self.what,
                    organization_id=arguments.get("organization_id"),
                )
            return present.of(row)

        parameters = [_argument("id", uuid.UUID), *([_ORGANIZATION] if scoped else [])]
        return _field(resolve, parameters, present, description)

    def find(
        self,
        description: str,
        key: str,
        key_type: type[KeyT],
        lookup: Lookup[KeyT],
    ) -> StrawberryField:
        """`xByKey(key, organizationId)`: one visible row by another key than its id, as `lookup` finds it."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = SIGNED_IN.caller(info.context)
            async with info.context.read_session() as session:
                row = await lookup(session, caller, arguments[key], organization_id=arguments.get("organization_id"))
            return self.output.of(row)

        return _field(resolve, [_argument(key, key_type), _ORGANIZATION], self.output, description)

    def list(
        self,
        description: str | None,
        listing: Listing[ArgsT],
        page: type[Page],
        *,
        access: Access = SIGNED_IN,
        output: type[Presented] | None = None,
    ) -> StrawberryField:
        """`xs(..., skip, limit)`: a page of the visible rows that the listing's filters keep, with their count."""
        present = output or self.output
        listing.check_columns(self.model)
        order_by = [getattr(self.model, name) for name in listing.order_by]
        if not self.owned and access is not SUPERUSER:
            raise ValueError(f"{self.what}: a list without the visibility rules is for superusers only")

        async def resolve(info: Info, **given: Any) -> Any:
            caller = access.caller(info.context)
            skip: int = given.pop("skip", 0)
            limit: int = given.pop("limit", 100)
            check_page(skip, limit)
            arguments = listing.arguments(**given)
            filters = listing.filters(caller, self.model, arguments)
            async with info.context.read_session() as session:
                if listing.check is not None:
                    await listing.check(session, arguments)
                if self.owned:
                    rows, count = await crud.list_visible(
                        session,
                        caller,
                        self.model,
                        organization_id=getattr(arguments, "organization_id", None),
                        include_public=getattr(arguments, "include_public", False),
                        filters=filters,
                        order_by=order_by,
                        skip=skip,
                        limit=limit,
                    )
                else:
                    rows, count = await crud.list_page(
                        session, self.model, where=filters, order_by=order_by, skip=skip, limit=limit
                    )
            return page(data=[present.of(row) for row in rows], count=count)

        return _field(resolve, listing.parameters(), page, description)

    def create(
        self,
        description: str | None,
        input_type: type[CreateT],
        hook: CreateHook[CreateT],
        *,
        access: Access = SIGNED_IN,
    ) -> StrawberryField:
        """`createX(input, organizationId)`: the organization may be named in either, not differently in both."""

        async def resolve(info: Info, input: CreateT, organization_id: uuid.UUID | None = None) -> Any:
            caller = access.caller(info.context)
            input.check()
            organization = merge_organization(organization_id, input.organization_id)
            async with info.context.session() as session, session.begin():
                row = await hook(Write.of(session, info, caller), input, organization)
            return self.output.of(row)

        return _field(resolve, [_argument("input", input_type), _ORGANIZATION], self.output, description, True)

    def update(
        self,
        description: str | None,
        input_type: type[UpdateT],
        hook: UpdateHook[UpdateT],
        *,
        access: Access = SIGNED_IN,
    ) -> StrawberryField:
        """`updateX(id, input, organizationId)`: the hook applies the input's given fields."""

        async def resolve(info: Info, id: uuid.UUID, input: UpdateT, organization_id: uuid.UUID | None = None) -> Any:
            caller = access.caller(info.context)
            input.check()
            async with info.context.session() as session, session.begin():
                row = await hook(Write.of(session, info, caller), id, input, organization_id)
            return self.output.of(row)

        parameters = [_argument("id", uuid.UUID), _argument("input", input_type), _ORGANIZATION]
        return _field(resolve, parameters, self.output, description, True)

    def delete(self, description: str | None, *, access: Access = SIGNED_IN) -> StrawberryField:
        """`deleteX(id, organizationId)`: a soft delete, by whoever services/visibility.ensure_can_delete allows."""

        async def resolve(info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
            caller = access.caller(info.context)
            async with info.context.session() as session, session.begin():
                await crud.soft_delete(session, caller, self.model, id, self.what, organization_id=organization_id)
            return Message(message=f"{self.what} deleted successfully")

        return _field(resolve, [_argument("id", uuid.UUID), _ORGANIZATION], Message, description, True)

    def restore(self, description: str | None, *, access: Access = SUPERUSER) -> StrawberryField:
        """`restoreX(id)`: undo a soft delete (superusers, as the spec's restore endpoints say)."""

        async def resolve(info: Info, id: uuid.UUID) -> Any:
            caller = access.caller(info.context)
            async with info.context.session() as session, session.begin():
                row = await crud.restore(session, caller, self.model, id, self.what)
            return self.output.of(row)

        return _field(resolve, [_argument("id", uuid.UUID)], self.output, description, True)

    def assign_owner(self, description: str, id_name: str, output: type[Presented]) -> StrawberryField:
        """`assignXOwner(<id_name>, newOwnerId, organizationId)` (superusers): services/crud.assign_owner."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = SUPERUSER.caller(info.context)
            async with info.context.session() as session, session.begin():
                row = await crud.assign_owner(
                    session,
                    caller,
                    self.model,
                    arguments[id_name],
                    self.what,
                    new_owner_id=arguments["new_owner_id"],
                    organization_id=arguments.get("organization_id"),
                )
            return output.of(row)

        parameters = [_argument(id_name, uuid.UUID), _argument("new_owner_id", uuid.UUID), _ORGANIZATION]
        return _field(resolve, parameters, output, description, True)

    def set_lora_trigger(
        self, description: str, id_name: str, output: type[Presented], *, max_length: int
    ) -> StrawberryField:
        """`updateXLoraTrigger(<id_name>, loraTrigger)` (superusers): omitted, null or blank clears it."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = SUPERUSER.caller(info.context)
            lora_trigger: str | None = arguments.get("lora_trigger")
            errors = InputErrors()
            errors.max_length("loraTrigger", lora_trigger, max_length)
            errors.raise_if_any()
            async with info.context.session() as session, session.begin():
                row = await crud.set_lora_trigger(
                    session, caller, self.model, arguments[id_name], self.what, lora_trigger
                )
            return output.of(row)

        parameters = [_argument(id_name, uuid.UUID), _argument("lora_trigger", str | None, None)]
        return _field(resolve, parameters, output, description, True)


def _argument(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    if default is dataclasses.MISSING:
        default = inspect.Parameter.empty
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


_ORGANIZATION = _argument("organization_id", uuid.UUID | None, None)


def _field(
    resolve: Callable[..., Awaitable[Any]],
    arguments: list[inspect.Parameter],
    returns: Any,
    description: str | None,
    mutation: bool = False,
) -> StrawberryField:
    """A Strawberry field of `resolve`, whose GraphQL arguments and type are `arguments` and `returns`: the
    signature Strawberry reads is set here, with the types themselves rather than names to look up."""
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
