from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import ShotType as ShotTypeRow
from db.models.enums import ShotTypeFraming, ViewAngle
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, ListOptions
from graph.lists import Listing, OwnerFilter
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from services.shot_types import WHAT
from services.shot_types import shot_type_by_name as find_by_name

SHOT_TYPES = Crud(ShotTypeRow, WHAT, ShotType)

SHOT_TYPE_OPTIONS = ListOptions(
    "ShotType",
    ShotTypeRow,
    sort=NAME_AND_TIMES,
    search=("name", "shot_type_prompt_instruction", "prompt"),
    choices=("view_angle", "framing", "default_shot_type"),
    flags=("public", "core_focus"),
)


@dataclass(frozen=True)
class ShotTypeArguments:
    framing: ShotTypeFraming | None = None
    include_public: bool = False
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    public: bool | None = None
    search: str | None = None
    view_angle: ViewAngle | None = None


@strawberry.type
class Query:
    shot_types = SHOT_TYPES.list(
        "Shot types. With organizationId: that organization's; without: your personal ones. includePublic adds "
        "public ones (the defaults among them). ownerId (superusers): public ones plus that user's.",
        Listing(
            ShotTypeArguments,
            SHOT_TYPE_OPTIONS,
            owner=OwnerFilter.OWNED_OR_PUBLIC,
            equal=("framing", "view_angle", "public"),
            order_by=("name",),
        ),
        "ShotTypes",
    )
    shot_type = SHOT_TYPES.get(loader=ShotTypeByIdLoader)

    shot_type_by_name = SHOT_TYPES.find(
        "The shot type with this name (case-insensitive) that you can see.", "name", str, find_by_name
    )
