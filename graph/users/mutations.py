from __future__ import annotations

import uuid

import strawberry

from db.models.enums import OrganizationRole
from graph.context import Info
from graph.users.inputs import UserCreate
from graph.users.types import AccessToken, OrganizationMembership, User
from graph.validation import InputErrors
from services import users
from services.auth import issue_token_for_credentials


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Exchange email and password for a bearer token (OAuth2 password flow).")
    async def login(self, info: Info, email: str, password: str) -> AccessToken:
        token = await issue_token_for_credentials(
            info.context.resources, email=email, password=password, client=_client_address(info)
        )
        return AccessToken(access_token=token)

    @strawberry.mutation(description="Create a user (superusers only).")
    async def create_user(self, info: Info, input: UserCreate) -> User:
        info.context.require_superuser()
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

    @strawberry.mutation(description="Create an organization; the caller becomes its owner.")
    async def create_organization(self, info: Info, name: str) -> OrganizationMembership:
        caller = info.context.require_caller()
        errors = InputErrors()
        errors.not_blank("name", name)
        errors.max_length("name", name, 255)
        errors.raise_if_any()
        async with info.context.session() as session, session.begin():
            membership = await users.create_organization(session, caller, name)
        return OrganizationMembership.of(membership)

    @strawberry.mutation(description="Add a user to an organization, or change their role (owners, superusers).")
    async def add_organization_member(
        self, info: Info, organization_id: uuid.UUID, user_id: uuid.UUID, role: OrganizationRole
    ) -> OrganizationMembership:
        caller = info.context.require_caller()
        async with info.context.session() as session, session.begin():
            membership = await users.add_member(
                session, caller, organization_id=organization_id, user_id=user_id, role=role
            )
        return OrganizationMembership.of(membership)


def _client_address(info: Info) -> str:
    client = info.context.request.client
    return client.host if client else "unknown"
