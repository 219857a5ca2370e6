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
    url: str | None = strawberry.field(
        default=None,
        description=(
            "An https URL to fetch (public addresses only), a data: URI with base64 content, or the URL of an "
            "earlier upload; give this or mediaResourceId, not both."
        ),
    )
    media_resource_id: uuid.UUID | None = strawberry.field(
        default=None, description="The id of an earlier upload of yours (uploadMedia); give this or url, not both."
    )
    alt_text: str | None = strawberry.field(
        default=None, description="Text describing the image, stored with it (at most 1000 characters)."
    )
    caption: str | None = strawberry.field(
        default=None, description="A caption, stored with it (at most 1000 characters)."
    )
    color_profile: str | None = strawberry.field(
        default=None, description="Ignored: the colour profile is read from the file itself."
    )
    dominant_color: str | None = strawberry.field(
        default=None, description="Ignored: the dominant colour is measured from the file itself."
    )
    duration: float | None = strawberry.field(default=None, description="Ignored: not trusted from the client.")
    height: int | None = strawberry.field(default=None, description="Ignored: the height is measured from the file.")
    width: int | None = strawberry.field(default=None, description="Ignored: the width is measured from the file.")
    protected: bool = strawberry.field(
        default=False, description="Keep the stored file even once nothing uses it (true cannot be undone)."
    )

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
