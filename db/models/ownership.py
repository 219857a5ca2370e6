"""Columns shared by every object a user owns, optionally inside an organization."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class OwnedMixin:
    """Owner (a user) and optional organization; both indexed because every list filters on them."""

    @declared_attr
    def owner_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
