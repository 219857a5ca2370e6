"""One base for the operations every owned model has: list, get, create, update, delete and restore (and, for
the models with LoRA weights, owner assignment and the trigger word).

A domain declares its model once, then one field per operation, each a line of its Query or Mutation class
(graph/resolution_presets/ is the smallest example):

    RESOLUTION_PRESETS = Crud(ResolutionPresetRow, WHAT, ResolutionPreset)

    @strawberry.type
    class Query:
        resolution_presets = RESOLUTION_PRESETS.list("...", owned_by_name(OPTIONS), "ResolutionPresets")
        resolution_preset = RESOLUTION_PRESETS.get()

    @strawberry.type
    class Mutation:
        create_resolution_preset = RESOLUTION_PRESETS.create(None, ResolutionPresetCreate, owned_create(WRITES))
        update_resolution_preset = RESOLUTION_PRESETS.update("Change ...", ResolutionPresetUpdate, owned_update(WRITES))
        delete_resolution_preset = RESOLUTION_PRESETS.delete("Soft-delete a resolution preset (...).")
        restore_resolution_preset = RESOLUTION_PRESETS.restore("Restore a soft-deleted resolution preset (...).")

The create and update hooks turn an input into the service call. Where the model's writes are declared
(services/owned.OwnedWrites: every owned model but subjects and styles, whose services make slugs and guard
superuser-only columns), the hooks are `owned_create(WRITES)` and `owned_update(WRITES)`, for inputs built on
graph/common/inputs.OwnedCreate and OwnedUpdate; subjects and styles write their own.

What the domain configures: the names (the class attributes), the descriptions, the model and the noun of its
errors and messages (`WHAT`), the output types, who may call each operation (`access`, graph/access.py: declared,
checked before anything else; restore, owner assignment and the trigger word default to superusers, the rest to
signed-in callers), a list's arguments and filters (`Listing`, graph/lists.py), and the create and update hooks
that turn an input into the service call. What the base does, the same for every domain: the checks in their
order (access, input, page), the session (a read session for reads, a transaction for writes), visibility
(services/visibility.py through services/crud.py), and the answer. The schema sees ordinary Strawberry fields
with the same names, arguments, descriptions and types as hand-written resolvers would have
(graph/signatures.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from db.engine import read_engine
from graph.access import SIGNED_IN, SUPERUSER, Access, declare
from graph.common.inputs import OwnedCreate, OwnedUpdate
from graph.common.scope import merge_organization
from graph.common.types import Message
from graph.context import Info
from graph.lists import ArgsT, Listing
from graph.loaders import Loaders, RowByIdLoader, SessionLoader
from graph.pages import COUNT_FIELD, NOT_COUNTED, PageInfo, page_type, selects
from graph.signatures import ORGANIZATION, argument, field_of
from graph.validation import InputErrors
from services import crud
from services.caller import Caller
from services.owned import OwnedWrites
from services.resources import Resources


class Presented(Protocol):
    """An output type made from a row: `Style.of(row)`."""

    @classmethod
    def of(cls, row: Any, /) -> Self: ...


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


def owned_create(writes: OwnedWrites[Any]) -> CreateHook[OwnedCreate]:
    """The create hook of a model whose writes are declared (services/owned.py): the input's columns and images."""

    async def hook(write: Write, input: OwnedCreate, organization_id: uuid.UUID | None) -> Any:
        return await writes.create(
            write.session,
            write.resources,
            write.caller,
            columns=input.columns(),
            images=input.images(),
            parts=input.parts(),
            owner_id=input.owner_id,
            organization_id=organization_id,
        )

    return hook


def owned_update(
    writes: OwnedWrites[Any], *, forget: tuple[type[SessionLoader[uuid.UUID, Any]], ...] = ()
) -> UpdateHook[OwnedUpdate]:
    """The update hook of a model whose writes are declared (services/owned.py): the input's given fields. What
    the loaders of `forget` loaded for the row is forgotten: an earlier field of the same document may have loaded
    its old nested rows."""

    async def hook(write: Write, id: uuid.UUID, input: OwnedUpdate, organization_id: uuid.UUID | None) -> Any:
        row = await writes.update(
            write.session,
            write.resources,
            write.caller,
            id,
            changes=input.changes(),
            parts=input.parts(),
            organization_id=organization_id,
        )
        for loader in forget:
            write.loaders.get(loader).clear(row.id)
        return row

    return hook


@dataclass(frozen=True)
class Crud(Generic[OutT]):
    """The operations on one model: an owned one (a table with owner, organization and soft delete), whose
    rows each caller sees as services/visibility.py says, or (`owned=False`) one whose lists only superusers read
    (users), which shows every row, unless `readable` says which rows each caller may see (upload tasks)."""

    model: type[Any]
    what: str  # the noun of NOT_FOUND ("Style not found") and of the delete message ("Style deleted successfully")
    output: type[OutT]
    owned: bool = True
    # For a model without owner and organization whose lists signed-in callers read: the rows a caller may see
    # (services/upload_tasks.visible_tasks). Without it, such a model's lists are for superusers only.
    readable: Callable[[Caller], ColumnElement[bool]] | None = None

    def get(
        self,
        description: str | None = None,
        *,
        access: Access = SIGNED_IN,
        output: type[Presented] | None = None,
        scoped: bool = True,
        loader: type[RowByIdLoader[Any]] | None = None,
    ) -> StrawberryField:
        """`x(id, organizationId)`: one visible row (`scoped=False`: no organizationId argument). With `loader`
        (the model's RowByIdLoader, whose rows `output` presents), the row is read by the request's loader: one
        prepared statement on the request's connection, its storage keys joined, and nested fields that ask for
        the same row again (a guideline's subjects) take it from the loader's cache. Visibility is the same rules,
        applied to the loaded row (services/crud.visible_or_not_found)."""
        present = output or self.output

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = access.caller(info.context)
            organization_id = arguments.get("organization_id")
            if loader is not None:
                row = await info.context.loaders.get(loader).load(arguments["id"])
                return present.of(crud.visible_or_not_found(caller, row, self.what, organization_id=organization_id))
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

        parameters = [argument("id", uuid.UUID), *([ORGANIZATION] if scoped else [])]
        declare(resolve, access)
        default = f"{self.what} by id, when you may see it (NOT_FOUND when missing, deleted or hidden from you)."
        return field_of(resolve, parameters, present, description or default)

    def find(
        self,
        description: str,
        key: str,
        key_type: type[KeyT],
        lookup: Lookup[KeyT],
        *,
        access: Access = SIGNED_IN,
    ) -> StrawberryField:
        """`xByKey(key, organizationId)`: one visible row by another key than its id, as `lookup` finds it."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = access.caller(info.context)
            async with info.context.read_session() as session:
                row = await lookup(session, caller, arguments[key], organization_id=arguments.get("organization_id"))
            return self.output.of(row)

        declare(resolve, access)

        return field_of(resolve, [argument(key, key_type), ORGANIZATION], self.output, description)

    def list(
        self,
        description: str | None,
        listing: Listing[ArgsT],
        page: str,
        *,
        access: Access = SIGNED_IN,
        output: type[Presented] | None = None,
        rows: crud.PageRows | None = None,
        rows_for: Callable[[Info], crud.PageRows] | None = None,
    ) -> StrawberryField:
        """`xs(..., filter, orderBy, skip, limit, after)`: a page of the rows `listing` reads, as the list type
        `page` (graph/pages.py): the rows, `pageInfo`, and their `count` when the operation asks for it. The rows
        are `rows` (services/crud.PageRows: by default the model's table columns), or `rows_for(info)` when what
        they bring depends on the selection, read by one prepared statement on the request's connection, which
        `output` presents."""
        present = output or self.output
        listing.check_columns(self.model)
        page_rows = rows or crud.table_rows(self.model)
        if page_rows.model is not self.model:
            raise ValueError(f"{self.what}: page rows of {page_rows.model.__name__}")
        if not self.owned and self.readable is None and access is not SUPERUSER:
            raise ValueError(f"{self.what}: a list without the visibility rules is for superusers only")
        page_class = page_type(page, present)

        async def resolve(info: Info, **given: Any) -> Any:
            caller = access.caller(info.context)
            context = info.context
            read = await listing.read(
                crud.Reader(read_engine(context.resources.engine), context.loaders.connection),
                caller,
                page_rows if rows_for is None else rows_for(info),
                given,
                list_name=info.field_name,
                visible=self.owned,
                readable=None if self.readable is None else self.readable(caller),
                count=selects(info, COUNT_FIELD),
                session=context.read_session,
            )
            return page_class(
                data=[present.of(row) for row in read.rows],
                count=NOT_COUNTED if read.total is None else read.total,
                page_info=PageInfo(has_next_page=read.has_next, end_cursor=read.end_cursor),
            )

        declare(resolve, access)

        return field_of(resolve, listing.parameters(), page_class, description)

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

        declare(resolve, access)
        default = f"Creates: {self.what.lower()} from input, personal or in an organization you belong to; answers it."
        return field_of(
            resolve, [argument("input", input_type), ORGANIZATION], self.output, description or default, mutation=True
        )

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

        parameters = [argument("id", uuid.UUID), argument("input", input_type), ORGANIZATION]
        declare(resolve, access)
        return field_of(resolve, parameters, self.output, description, mutation=True)

    def delete(self, description: str | None, *, access: Access = SIGNED_IN) -> StrawberryField:
        """`deleteX(id, organizationId)`: a soft delete, by whoever services/visibility.ensure_can_delete allows."""

        async def resolve(info: Info, id: uuid.UUID, organization_id: uuid.UUID | None = None) -> Message:
            caller = access.caller(info.context)
            async with info.context.session() as session, session.begin():
                await crud.soft_delete(session, caller, self.model, id, self.what, organization_id=organization_id)
            return Message(message=f"{self.what} deleted successfully")

        declare(resolve, access)

        return field_of(resolve, [argument("id", uuid.UUID), ORGANIZATION], Message, description, mutation=True)

    def restore(self, description: str | None, *, access: Access = SUPERUSER) -> StrawberryField:
        """`restoreX(id)`: undo a soft delete (superusers, as the spec's restore endpoints say)."""

        async def resolve(info: Info, id: uuid.UUID) -> Any:
            caller = access.caller(info.context)
            async with info.context.session() as session, session.begin():
                row = await crud.restore(session, caller, self.model, id, self.what)
            return self.output.of(row)

        declare(resolve, access)

        return field_of(resolve, [argument("id", uuid.UUID)], self.output, description, mutation=True)

    def assign_owner(
        self, description: str, id_name: str, output: type[Presented], *, access: Access = SUPERUSER
    ) -> StrawberryField:
        """`assignXOwner(<id_name>, newOwnerId, organizationId)` (superusers): services/crud.assign_owner."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = access.caller(info.context)
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

        parameters = [argument(id_name, uuid.UUID), argument("new_owner_id", uuid.UUID), ORGANIZATION]
        declare(resolve, access)
        return field_of(resolve, parameters, output, description, mutation=True)

    def set_lora_trigger(
        self, description: str, id_name: str, output: type[Presented], *, max_length: int, access: Access = SUPERUSER
    ) -> StrawberryField:
        """`updateXLoraTrigger(<id_name>, loraTrigger)` (superusers): omitted, null or blank clears it."""

        async def resolve(info: Info, **arguments: Any) -> Any:
            caller = access.caller(info.context)
            lora_trigger: str | None = arguments.get("lora_trigger")
            errors = InputErrors()
            errors.max_length("loraTrigger", lora_trigger, max_length)
            errors.raise_if_any()
            async with info.context.session() as session, session.begin():
                row = await crud.set_lora_trigger(
                    session, caller, self.model, arguments[id_name], self.what, lora_trigger
                )
            return output.of(row)

        parameters = [argument(id_name, uuid.UUID), argument("lora_trigger", str | None, None)]
        declare(resolve, access)
        return field_of(resolve, parameters, output, description, mutation=True)
