from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from core.client_address import client_address
from db.models.enums import OrganizationRole
from graph import access, fields
from graph.access import SUPERUSER
from graph.arguments import Id, UserId, about
from graph.common.types import Message
from graph.context import Info
from graph.users.inputs import UserCreate, UserUpdate
from graph.users.types import AccessToken, Organization, OrganizationMembership, User
from graph.validation import InputErrors
from services import users
from services.auth import issue_token_for_credentials
from services.caller import Caller
from services.errors import UnauthenticatedError
from services.sessions import revoke_token

OrganizationName = Annotated[
    str, strawberry.argument(description="The organization's name: not blank, at most 255 characters.")
]
TheOrganization = Annotated[uuid.UUID, strawberry.argument(description="Id of the organization (one you belong to).")]


@strawberry.type
class Mutation:
    # Open to anyone: it is how a caller gets a token.
    @fields.mutation("Exchange email and password for a bearer token (OAuth2 password flow).")
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The account's email address (any case).")],
        password: Annotated[str, strawberry.argument(description="The account's password.")],
    ) -> AccessToken:
        token = await issue_token_for_credentials(
            info.context.resources, email=email, password=password, client=_client_address(info)
        )
        return AccessToken(access_token=token)

    @access.mutation(
        "End this session: the token this request was sent with is refused from now on, by every API process, and "
        "websockets opened with it are closed (code 4401). The caller's other tokens stay valid."
    )
    async def logout(self, info: Info, caller: Caller) -> Message:
        token = info.context.token
        if token is None:  # a caller always comes from a token over HTTP and websockets; this is for the types
            raise UnauthenticatedError("Authentication required")
        async with info.context.session() as session, session.begin():
            await revoke_token(session, token)
        return Message(message="Logged out")

    @access.mutation("Create a user (superusers only).", SUPERUSER)
    async def create_user(self, info: Info, caller: Caller, input: Annotated[UserCreate, about("input")]) -> User:
        input.check()
        async with info.context.session() as session, session.begin():
            row = await users.create_user(
                session,
                email=input.email,
                password=input.password,
                full_name=input.full_name,
                is_superuser=input.is_superuser,
            )
        return User.of(row)

    @access.mutation("Create an organization; the caller becomes its owner (`role` is `OWNER`).")
    async def create_organization(self, info: Info, caller: Caller, name: OrganizationName) -> Organization:
        _check_organization_name(name)
        async with info.context.session() as session, session.begin():
            row = await users.create_organization(session, caller, name)
        # The rest of this request sees the caller as the owner they now are (e.g. the answer's `members`).
        info.context.caller = caller.joined(row.id, OrganizationRole.OWNER)
        return Organization.of(row, OrganizationRole.OWNER)

    @access.mutation("Add a user to an organization, or change their role (owners, superusers).")
    async def add_organization_member(
        self,
        info: Info,
        caller: Caller,
        organization_id: TheOrganization,
        user_id: UserId,
        role: Annotated[OrganizationRole, strawberry.argument(description="The role the user has from now on.")],
    ) -> OrganizationMembership:
        async with info.context.session() as session, session.begin():
            membership = await users.add_member(
                session, caller, organization_id=organization_id, user_id=user_id, role=role
            )
        return OrganizationMembership.of(membership)

    @access.mutation(
        "Change a user: yourself, or anyone as a superuser. A new password (or isActive false) revokes every "
        "token the user was given before, the one this request was sent with included: log in again."
    )
    async def update_user(
        self, info: Info, caller: Caller, id: Id, input: Annotated[UserUpdate, about("input")]
    ) -> User:
        changes = input.changes()
        async with info.context.session() as session, session.begin():
            row = await users.update_user(session, caller, id, changes)
        return User.of(row)

    @access.mutation("Deactivate a user (superusers only): they keep their objects but cannot log in.", SUPERUSER)
    async def delete_user(self, info: Info, caller: Caller, id: Id) -> Message:
        async with info.context.session() as session, session.begin():
            await users.deactivate_user(session, caller, id)
        return Message(message="User deactivated")

    @access.mutation("Rename an organization (its owners, superusers).")
    async def update_organization(self, info: Info, caller: Caller, id: Id, name: OrganizationName) -> Organization:
        _check_organization_name(name)
        async with info.context.session() as session, session.begin():
            row = await users.rename_organization(session, caller, id, name)
        return Organization.of(row, caller.roles.get(row.id))

    @access.mutation("Remove a member (owners), or leave an organization yourself.")
    async def remove_organization_member(
        self, info: Info, caller: Caller, organization_id: TheOrganization, user_id: UserId
    ) -> Message:
        async with info.context.session() as session, session.begin():
            await users.remove_member(session, caller, organization_id, user_id)
        return Message(message="Member removed")

    @access.mutation("Delete an empty organization (its owners, superusers).")
    async def delete_organization(self, info: Info, caller: Caller, id: Id) -> Message:
        async with info.context.session() as session, session.begin():
            await users.delete_organization(session, caller, id)
        return Message(message="Organization deleted")


def _check_organization_name(name: str) -> None:
    errors = InputErrors()
    errors.not_blank("name", name)
    errors.max_length("name", name, 255)
    errors.raise_if_any()


def _client_address(info: Info) -> str:
    return client_address(info.context.request, info.context.resources.settings.trusted_proxies)
