from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry
from sqlalchemy import ColumnElement, or_

from db.models import PosePreset as PosePresetRow
from graph.crud import Crud, Listing
from graph.pose_presets.types import PosePreset, PosePresets
from services import crud
from services.caller import Caller
from services.pose_presets import WHAT

POSE_PRESETS = Crud(PosePresetRow, WHAT, PosePreset)


@dataclass(frozen=True)
class PosePresetArguments:
    organization_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    shot_type_id: uuid.UUID | None = None
    search: str | None = None


def _where(caller: Caller, arguments: PosePresetArguments) -> list[ColumnElement[bool]]:
    filters = crud.owner_filters(caller, PosePresetRow, arguments.owner_id)
    if arguments.shot_type_id is not None:
        filters.append(PosePresetRow.shot_type_id == arguments.shot_type_id)
    if arguments.search:
        pattern = crud.like_pattern(arguments.search)
        filters.append(or_(PosePresetRow.name.ilike(pattern), PosePresetRow.prompt.ilike(pattern)))
    return filters


@strawberry.type
class Query:
    pose_presets = POSE_PRESETS.list(
        "Pose presets. With organizationId: that organization's; without: your personal ones. "
        "ownerId (superusers): that user's.",
        Listing(PosePresetArguments, where=_where, order_by=(PosePresetRow.name,)),
        PosePresets,
    )
    pose_preset = POSE_PRESETS.get()
