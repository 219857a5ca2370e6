from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.crud import Crud, Listing, OwnerFilter
from graph.guidelines.types import ShootingGuidelines, ShootingGuidelinesList
from services.guidelines import WHAT

GUIDELINES = Crud(GuidelinesRow, WHAT, ShootingGuidelines)


@dataclass(frozen=True)
class GuidelinesArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


@strawberry.type
class Query:
    guidelines = GUIDELINES.list(
        "Shooting guidelines. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). ownerId (superusers only): that user's.",
        Listing(GuidelinesArguments, owner=OwnerFilter.OWNED, order_by=(GuidelinesRow.name,)),
        ShootingGuidelinesList,
    )
    guideline = GUIDELINES.get()
