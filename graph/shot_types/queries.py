from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import ShotType as ShotTypeRow
from db.models.enums import ShotTypeFraming, ViewAngle
from graph import access
from graph.context import Info
from graph.crud import Crud, Listing, OwnerFilter
from graph.shot_types.types import ShotType, ShotTypes
from services.caller import Caller
from services.shot_types import WHAT, shot_type_by_name

SHOT_TYPES = Crud(ShotTypeRow, WHAT, ShotType)


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
            owner=OwnerFilter.OWNED_OR_PUBLIC,
            equal=("framing", "view_angle", "public"),
            search=("name", "shot_type_prompt_instruction", "prompt"),
            order_by=(ShotTypeRow.name,),
        ),
        ShotTypes,
    )
    shot_type = SHOT_TYPES.get()

    @access.query("The shot type with this name (case-insensitive) that you can see.")
    async def shot_type_by_name(
        self, info: Info, caller: Caller, name: str, organization_id: uuid.UUID | None = None
    ) -> ShotType:
        async with info.context.read_session() as session:
            row = await shot_type_by_name(session, caller, name, organization_id=organization_id)
        return ShotType.of(row)
