from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from db.models import Organization, OrganizationMembership
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
