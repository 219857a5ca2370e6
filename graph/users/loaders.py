from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from db.models import Organization, OrganizationMembership, User
from db.models.enums import OrganizationRole
from graph.loaders import AnySelect, GroupedRowsLoader, RowByIdLoader, columns, in_batch


class LoadedOrganization(NamedTuple):
    name: str
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class LoadedMembership(NamedTuple):
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class OrganizationByIdLoader(RowByIdLoader[LoadedOrganization]):
    model = Organization
    row_type = LoadedOrganization


class MembershipsByUserIdLoader(GroupedRowsLoader[LoadedMembership]):
    row_type = LoadedMembership
    group_key = "user_id"

    @classmethod
    def statement(cls) -> AnySelect:
        return (
            select(*columns(OrganizationMembership))
            .where(in_batch(OrganizationMembership.user_id))
            .order_by(OrganizationMembership.created_at)
        )


class LoadedMember(NamedTuple):
    """A membership with what other members may know of its user (id, email, full name), nothing more."""

    organization_id: uuid.UUID
    role: OrganizationRole
    joined_at: datetime
    id: uuid.UUID
    email: str
    full_name: str | None


class MembersByOrganizationIdLoader(GroupedRowsLoader[LoadedMember]):
    """Each organization's members, in the order they joined: one statement for a whole level of organizations."""

    row_type = LoadedMember
    group_key = "organization_id"

    @classmethod
    def statement(cls) -> AnySelect:
        membership = OrganizationMembership
        return (
            select(
                membership.organization_id,
                membership.role,
                membership.created_at.label("joined_at"),
                User.id,
                User.email,
                User.full_name,
            )
            .join(User, User.id == membership.user_id)
            .where(in_batch(membership.organization_id))
            .order_by(membership.organization_id, membership.created_at, User.id)
        )
