from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from db.models import Organization, OrganizationMembership
from graph.loaders import RowByIdLoader, SessionLoader, group_by


class OrganizationByIdLoader(RowByIdLoader[Organization]):
    model = Organization


class MembershipsByUserIdLoader(SessionLoader[uuid.UUID, list[OrganizationMembership]]):
    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[OrganizationMembership]]:
        rows = await self.fetch_all(
            select(OrganizationMembership)
            .where(OrganizationMembership.user_id.in_(keys))
            .order_by(OrganizationMembership.created_at)
        )
        return group_by(rows, "user_id", keys)
