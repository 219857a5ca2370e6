from __future__ import annotations

from typing import cast

import strawberry

from core.storage import AsyncReadable, iter_chunks
from graph import access
from graph.arguments import File
from graph.context import Info
from graph.media.types import MediaResource
from services.caller import Caller
from services.media import MediaService


@strawberry.type
class Mutation:
    @access.mutation(
        "Upload an image (GraphQL multipart request with an Apollo-Require-Preflight header). "
        "Answers the stored MediaResource, whose url or id later image arguments can name."
    )
    async def upload_media(self, info: Info, caller: Caller, file: File) -> MediaResource:
        async with info.context.session() as session, session.begin():
            media = await MediaService(session, info.context.resources, caller).from_upload(
                # Strawberry types Upload as bytes; over multipart it is Starlette's UploadFile.
                iter_chunks(cast(AsyncReadable, file))
            )
        return MediaResource.of(media)
