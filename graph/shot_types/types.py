from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import islice

import strawberry

from db.models import ShotType as ShotTypeRow
from db.models.enums import DefaultShotTypes, ShotTypeFraming, ViewAngle
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.context import Info
from graph.media.keys import loaded_media_urls, media_of
from graph.media.types import MediaResource
from graph.relations import relation
from graph.shot_types.loaders import LoadedShotType, ShotTypeByIdLoader
from services.visibility import can_read


@strawberry.type(description="A kind of shot (view angle and framing) with its prompt and reference image.")
class ShotType(Presented[ShotTypeRow | LoadedShotType]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(
        description=(
            "Unique (ignoring case) among the live shot types of its organization, else of its owner, else among "
            "the defaults; a ZIP upload's image named so becomes the subject's base image for this shot type."
        )
    )
    view_angle: ViewAngle = strawberry.field(description="The side from which the shot sees the subject.")
    framing: ShotTypeFraming = strawberry.field(description="How much of the subject the shot shows.")
    shot_type_ref_image_url: str | None = strawberry.field(
        description="A reference image's URL as given (text, not fetched or stored; see referenceImageUrl)."
    )
    shot_type_prompt_instruction: str | None = strawberry.field(
        description='Instructions for the shot, in words (the defaults carry one, e.g. "Full body, in profile").'
    )
    file_naming_convention: str | None = strawberry.field(
        description="How files of this shot type are to be named (free text, at most 255 characters)."
    )
    prompt: str | None = strawberry.field(description="Prompt text for generating this shot.")
    prompt_builder_section: str | None = strawberry.field(
        description="The section of the prompt builder this shot type's prompt belongs to (free text)."
    )
    core_focus: bool = strawberry.field(
        description=(
            "One of the core shots of a shoot (among the defaults: front, back and side full body, front upper body)."
        )
    )
    default_shot_type: DefaultShotTypes | None = strawberry.field(
        description="Which default shot type this is; null for shot types made by users."
    )
    margins: str | None = strawberry.field(
        description="The margins to keep around the subject in the frame (free text, at most 255 characters)."
    )
    owner_id: uuid.UUID | None = strawberry.field(description=shared.OWNER_ID + " Null for the defaults.")
    public: bool = strawberry.field(description=shared.PUBLIC + " The defaults are public.")
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
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
