from __future__ import annotations

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.crud import Crud
from graph.guidelines.types import ShootingGuidelines, ShootingGuidelinesList
from graph.lists import OWNED_BY_NAME
from services.guidelines import WHAT

GUIDELINES = Crud(GuidelinesRow, WHAT, ShootingGuidelines)


@strawberry.type
class Query:
    guidelines = GUIDELINES.list(
        "Shooting guidelines. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). ownerId (superusers only): that user's.",
        OWNED_BY_NAME,
        ShootingGuidelinesList,
    )
    guideline = GUIDELINES.get()
