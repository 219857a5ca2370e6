from __future__ import annotations

import uuid

import strawberry

from graph.validation import InputErrors
from services.media import MediaSource


@strawberry.input(
    description=(
        "An image: `url` holds an https URL, a data: URI (base64) or the URL of an earlier upload; or "
        "`mediaResourceId` names an earlier upload. Size, colours and profile are measured from the file itself, "
        "so the descriptive width/height/dominantColor/colorProfile/duration given here are not trusted."
    )
)
class MediaInput:
    url: str | None = None
    media_resource_id: uuid.UUID | None = None
    alt_text: str | None = None
    caption: str | None = None
    color_profile: str | None = None
    dominant_color: str | None = None
    duration: float | None = None
    height: int | None = None
    width: int | None = None
    protected: bool = False

    def check(self, errors: InputErrors, path: str) -> None:
        if (self.url is None) == (self.media_resource_id is None):
            errors.add(path, "give exactly one of url or mediaResourceId")
        errors.max_length(f"{path}.altText", self.alt_text, 1000)
        errors.max_length(f"{path}.caption", self.caption, 1000)

    def source(self) -> MediaSource:
        return MediaSource(
            url=self.url,
            media_resource_id=self.media_resource_id,
            alt_text=self.alt_text,
            caption=self.caption,
            protected=self.protected,
        )
