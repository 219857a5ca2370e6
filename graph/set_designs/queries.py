from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import SetDesign as SetDesignRow
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, ListOptions
from graph.lists import Listing, OwnerFilter
from graph.set_designs.loaders import SetDesignByIdLoader
from graph.set_designs.types import SetDesign
from services.set_designs import WHAT

SET_DESIGNS = Crud(SetDesignRow, WHAT, SetDesign)
SET_DESIGN_OPTIONS = ListOptions("SetDesign", SetDesignRow, sort=NAME_AND_TIMES, search=("name", "description"))


@dataclass(frozen=True)
class SetDesignArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    background_preset_id: uuid.UUID | None = None
    search: str | None = None


@strawberry.type
class Query:
    set_designs = SET_DESIGNS.list(
        "Set designs. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers): that user's.",
        Listing(
            SetDesignArguments,
            SET_DESIGN_OPTIONS,
            owner=OwnerFilter.OWNED,
            equal=("background_preset_id",),
            order_by=("name",),
        ),
        "SetDesigns",
    )
    set_design = SET_DESIGNS.get(loader=SetDesignByIdLoader)
