from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial

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


def storage_urls(info: Info) -> Callable[[str], str]:
    """`storage_url` for the many keys of one level (~800 base images on a page of subjects): the storage and the
    base URL looked up once, not per key."""
    resources = info.context.resources
    return partial(resources.storage.url_for, public_base_url=resources.settings.public_base_url)


@strawberry.type(description="A stored file, with what was measured from its content when it arrived.")
class MediaResource(Presented[MediaRow | LoadedMediaResource]):
    id: uuid.UUID = strawberry.field(
        description="The upload's id: a MediaInput's mediaResourceId names it (yours only; its URL is public)."
    )
    content_hash: str = strawberry.field(description="SHA-256 of the file's bytes, hex.")
    file_size: int = strawberry.field(description="Bytes.")
    extension: str = strawberry.field(description="The file type's extension, from its content (jpg, png, webp, gif).")
    resource_type: MediaResourceType = strawberry.field(description="What kind of file it is.")
    width: int | None = strawberry.field(description="Width in pixels, measured from the file.")
    height: int | None = strawberry.field(description="Height in pixels, measured from the file.")
    aspect_ratio: float | None = strawberry.field(description="width / height")
    orientation: str | None = strawberry.field(description="landscape, portrait or square")
    dominant_color: str | None = strawberry.field(description="#rrggbb")
    color_profile: str | None = strawberry.field(
        description="The embedded ICC profile's name, else the image's colour mode (RGB, RGBA, ...)."
    )
    duration: float | None = strawberry.field(description="Length in seconds, for videos; null for images.")
    alt_text: str | None = strawberry.field(
        description="Text describing the image, as given (at most 1000 characters)."
    )
    caption: str | None = strawberry.field(description="A caption, as given (at most 1000 characters).")
    protected: bool = strawberry.field(
        description="Kept even once nothing uses it (a MediaInput with protected: true sets it; it is never cleared)."
    )
    created_at: datetime = strawberry.field(description="When it was first stored (UTC).")
    storage_key: strawberry.Private[str]

    @field(description="Where the file is served (`/media/...`).")
    def url(self, info: Info) -> str:
        return storage_url(info, self.storage_key)

    @classmethod
    def maybe(cls, row: MediaRow | LoadedMediaResource | None) -> MediaResource | None:
        return cls.of(row) if row is not None else None
