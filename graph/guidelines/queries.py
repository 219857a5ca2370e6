from __future__ import annotations

import strawberry

from db.models import ShootingGuidelines as GuidelinesRow
from graph.crud import Crud
from graph.guidelines.types import ShootingGuidelines
from graph.list_options import NAME_AND_TIMES, ListOptions
from graph.lists import owned_by_name
from services.guidelines import WHAT

GUIDELINES = Crud(GuidelinesRow, WHAT, ShootingGuidelines)
GUIDELINES_OPTIONS = ListOptions(
    "ShootingGuidelines",
    GuidelinesRow,
    sort=NAME_AND_TIMES,
    search=("name",),
    flags=("allow_back_shots_without_back_image", "auto_start_look_generations"),
)


@strawberry.type
class Query:
    guidelines = GUIDELINES.list(
        "Shooting guidelines. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). ownerId (superusers only): that user's.",
        owned_by_name(GUIDELINES_OPTIONS),
        "ShootingGuidelinesList",
    )
    guideline = GUIDELINES.get()
