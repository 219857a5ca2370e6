from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from db.models import Organization, OrganizationMembership
from graph.loaders import GroupedRowsLoader, RowByIdLoader, columns, in_batch


class OrganizationByIdLoader(RowByIdLoader[Organization]):
    model = Organization


class MembershipsByUserIdLoader(GroupedRowsLoader[OrganizationMembership]):
    group_key = "user_id"

    @classmethod
    def statement(cls) -> Select[Any]:
        return (
            select(*columns(OrganizationMembership))
            .where(in_batch(OrganizationMembership.user_id))
            .order_by(OrganizationMembership.created_at)
        )
