from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import strawberry

from db.models import BackgroundPreset as BackgroundPresetRow
from db.models import BackgroundPresetFraming as FramingRow
from db.models.enums import BackgroundFixStrategy, ShotTypeFraming
from graph.background_presets.loaders import (
    BackgroundPresetFramingsByPresetIdLoader,
    LoadedBackgroundPreset,
    LoadedBackgroundPresetFraming,
)
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.context import Info
from graph.media.keys import loaded_media_urls, loaded_urls, media_of
from graph.media.types import MediaResource
from graph.relations import Identified, relation, rows_by_parent


@strawberry.type(description="The background image a preset uses for one framing.")
class BackgroundPresetFraming(Presented[FramingRow | LoadedBackgroundPresetFraming]):
    id: uuid.UUID = strawberry.field(description=shared.ENTRY_ID)
    framing: ShotTypeFraming | None = strawberry.field(description="The framing it serves; null: any framing.")
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    image_media_id: strawberry.Private[uuid.UUID | None]

    image_media: MediaResource | None = relation(media_of("image_media_id"), description="The stored image.")
    image_url: str | None = relation(loaded_media_urls("image_media_id"), description="URL of the stored image.")


async def _cover_image_urls(presets: Sequence[Identified], info: Info) -> list[str | None]:
    """The level form of `BackgroundPreset.coverImageUrl`: each preset's first framing's image URL."""
    loader = info.context.loaders.get(BackgroundPresetFramingsByPresetIdLoader)
    framing_lists = await loader.load_many([preset.id for preset in presets])
    return await loaded_urls(info, [framings[0].image_media_id if framings else None for framings in framing_lists])


@strawberry.type(description="A named background with one image per framing.")
class BackgroundPreset(Presented[BackgroundPresetRow | LoadedBackgroundPreset]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(description="The preset's name (not blank, at most 255 characters); lists sort by it.")
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    strategy: BackgroundFixStrategy | None = strawberry.field(description="Strategy for background fix processing.")
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)

    framings: list[BackgroundPresetFraming] = relation(
        rows_by_parent(BackgroundPresetFramingsByPresetIdLoader, BackgroundPresetFraming.of),
        description="The framings in the order they were given.",
    )
    cover_image_url: str | None = relation(_cover_image_urls, description="URL of the first framing's image.")
