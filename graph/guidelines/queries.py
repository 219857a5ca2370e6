from __future__ import annotations

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.crud import Crud, Listing, OwnedArguments, OwnerFilter
from graph.guidelines.types import ShootingGuidelines, ShootingGuidelinesList
from services.guidelines import WHAT

GUIDELINES = Crud(GuidelinesRow, WHAT, ShootingGuidelines)


@strawberry.type
class Query:
    guidelines = GUIDELINES.list(
        "Shooting guidelines. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). ownerId (superusers only): that user's.",
        Listing(OwnedArguments, owner=OwnerFilter.OWNED, order_by=("name",)),
        ShootingGuidelinesList,
    )
    guideline = GUIDELINES.get()
