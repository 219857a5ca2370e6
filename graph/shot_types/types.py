from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import islice

import strawberry

from db.models import ShotType as ShotTypeRow
from db.models.enums import DefaultShotTypes, ShotTypeFraming, ViewAngle
from graph.common.presented import Presented
from graph.context import Info
from graph.media.keys import loaded_media_urls, media_of
from graph.media.types import MediaResource
from graph.relations import relation
from graph.shot_types.loaders import LoadedShotType, ShotTypeByIdLoader
from services.visibility import can_read


@strawberry.type(description="A kind of shot (view angle and framing) with its prompt and reference image.")
class ShotType(Presented[ShotTypeRow | LoadedShotType]):
    id: uuid.UUID
    name: str
    view_angle: ViewAngle
    framing: ShotTypeFraming
    shot_type_ref_image_url: str | None
    shot_type_prompt_instruction: str | None
    file_naming_convention: str | None
    prompt: str | None
    prompt_builder_section: str | None
    core_focus: bool
    default_shot_type: DefaultShotTypes | None
    margins: str | None
    owner_id: uuid.UUID | None
    public: bool
    organization_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    reference_image_media_id: strawberry.Private[uuid.UUID | None]

    reference_image: MediaResource | None = relation(
        media_of("reference_image_media_id"), description="The stored reference image."
    )
    reference_image_url: str | None = relation(
        loaded_media_urls("reference_image_media_id"), description="URL of the stored reference image."
    )


async def shot_type_lists(info: Info, id_lists: Sequence[Sequence[uuid.UUID]]) -> list[list[ShotType]]:
    """For each list of ids, the shot types behind them that the caller can see, in that order (gone or hidden
    ones left out); all loaded together."""
    loader = info.context.loaders.get(ShotTypeByIdLoader)
    rows = iter(await loader.load_many([shot_type_id for ids in id_lists for shot_type_id in ids]))
    caller = info.context.require_caller()
    lists = []
    for ids in id_lists:
        listed = [row for row in islice(rows, len(ids)) if row is not None and can_read(caller, row)]
        lists.append([loader.presented(row, ShotType.of) for row in listed])
    return lists
