from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry
from sqlalchemy import ColumnElement, or_

from db.models import SetDesign as SetDesignRow
from graph.crud import Crud, Listing
from graph.set_designs.types import SetDesign, SetDesigns
from services import crud
from services.caller import Caller
from services.set_designs import WHAT

SET_DESIGNS = Crud(SetDesignRow, WHAT, SetDesign)


@dataclass(frozen=True)
class SetDesignArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    background_preset_id: uuid.UUID | None = None
    search: str | None = None


def _where(caller: Caller, arguments: SetDesignArguments) -> list[ColumnElement[bool]]:
    filters = crud.owner_filters(caller, SetDesignRow, arguments.owner_id)
    if arguments.background_preset_id is not None:
        filters.append(SetDesignRow.background_preset_id == arguments.background_preset_id)
    if arguments.search:
        pattern = crud.like_pattern(arguments.search)
        filters.append(or_(SetDesignRow.name.ilike(pattern), SetDesignRow.description.ilike(pattern)))
    return filters


@strawberry.type
class Query:
    set_designs = SET_DESIGNS.list(
        "Set designs. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers): that user's.",
        Listing(SetDesignArguments, where=_where, order_by=(SetDesignRow.name,)),
        SetDesigns,
    )
    set_design = SET_DESIGNS.get()
