from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import MediaResource as MediaRow
from db.models.enums import MediaResourceType
from graph.common.presented import Presented
from graph.context import Info
from graph.fields import field
from graph.media.loaders import LoadedMediaResource


def storage_url(info: Info, storage_key: str) -> str:
    """Where the stored file `storage_key` is served."""
    resources = info.context.resources
    return resources.storage.url_for(storage_key, resources.settings.public_base_url)


@strawberry.type(description="A stored file, with what was measured from its content when it arrived.")
class MediaResource(Presented[MediaRow | LoadedMediaResource]):
    id: uuid.UUID
    content_hash: str = strawberry.field(description="SHA-256 of the file's bytes, hex.")
    file_size: int = strawberry.field(description="Bytes.")
    extension: str
    resource_type: MediaResourceType
    width: int | None
    height: int | None
    aspect_ratio: float | None = strawberry.field(description="width / height")
    orientation: str | None = strawberry.field(description="landscape, portrait or square")
    dominant_color: str | None = strawberry.field(description="#rrggbb")
    color_profile: str | None
    duration: float | None
    alt_text: str | None
    caption: str | None
    protected: bool
    created_at: datetime
    storage_key: strawberry.Private[str]

    @field(description="Where the file is served (`/media/...`).")
    def url(self, info: Info) -> str:
        return storage_url(info, self.storage_key)

    @classmethod
    def maybe(cls, row: MediaRow | LoadedMediaResource | None) -> MediaResource | None:
        return cls.of(row) if row is not None else None
