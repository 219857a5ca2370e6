from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.models import SetBaseImage as SetBaseImageRow
from db.models import SetDesign as SetDesignRow
from db.models import SetReferenceImage as SetReferenceImageRow
from db.models import SetSubjectPortrait as SetSubjectPortraitRow
from graph.background_presets.loaders import BackgroundPresetByIdLoader
from graph.background_presets.types import BackgroundPreset
from graph.common import descriptions as shared
from graph.common.presented import Presented
from graph.media.keys import NOT_LOADED, MediaKey, media_of, media_urls
from graph.media.types import MediaResource
from graph.relations import relation, rows_by_parent, visible_one
from graph.set_designs.loaders import (
    LoadedSetBaseImage,
    LoadedSetDesign,
    LoadedSetReferenceImage,
    LoadedSetSubjectPortrait,
    SetBaseImagesBySetDesignIdLoader,
    SetReferenceImagesBySetDesignIdLoader,
    SetSubjectPortraitsBySetDesignIdLoader,
)
from graph.shot_types.loaders import ShotTypeByIdLoader
from graph.shot_types.types import ShotType
from graph.subjects.loaders import SubjectByIdLoader
from graph.subjects.types import Subject, present_loaded_subject

# The fields every image of a set has after its own (a declaration makes a new field each time it is called).
IMAGE_MEDIA = "The stored image."
IMAGE_URL = "URL of the stored image."
SUBJECT = "The subject; null once it is deleted or when you may not see it."
SHOT_TYPE = "The shot type; null once it is deleted or when you may not see it."
SUBJECT_ID = "The subject it shows (kept even while that subject is hidden; see subject)."
SHOT_TYPE_ID = "The shot type it is for (kept even while that shot type is hidden; see shotType)."


@strawberry.type(description="A base image of one subject for one shot type in a set.")
class SetBaseImage(Presented[SetBaseImageRow | LoadedSetBaseImage]):
    id: uuid.UUID = strawberry.field(description=shared.ENTRY_ID)
    subject_id: uuid.UUID = strawberry.field(description=SUBJECT_ID)
    shot_type_id: uuid.UUID = strawberry.field(description=SHOT_TYPE_ID)
    variant_index: int = strawberry.field(
        description="Tells apart several images of one subject and shot type (0 or more, as given; 0 by default)."
    )
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[MediaKey] = NOT_LOADED
    image_media: MediaResource | None = relation(media_of("image_media_id"), description=IMAGE_MEDIA)
    image_url: str | None = relation(media_urls("image_key", "image_media_id"), description=IMAGE_URL)
    subject: Subject | None = relation(
        visible_one(SubjectByIdLoader, "subject_id", present_loaded_subject), description=SUBJECT
    )
    shot_type: ShotType | None = relation(
        visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of), description=SHOT_TYPE
    )


@strawberry.type(description="A reference image for one shot type in a set.")
class SetReferenceImage(Presented[SetReferenceImageRow | LoadedSetReferenceImage]):
    id: uuid.UUID = strawberry.field(description=shared.ENTRY_ID)
    shot_type_id: uuid.UUID = strawberry.field(description=SHOT_TYPE_ID)
    label: str | None = strawberry.field(
        description="A caption for the reference image, as given (at most 255 characters)."
    )
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[MediaKey] = NOT_LOADED
    image_media: MediaResource | None = relation(media_of("image_media_id"), description=IMAGE_MEDIA)
    image_url: str | None = relation(media_urls("image_key", "image_media_id"), description=IMAGE_URL)
    shot_type: ShotType | None = relation(
        visible_one(ShotTypeByIdLoader, "shot_type_id", ShotType.of), description=SHOT_TYPE
    )


@strawberry.type(description="A portrait of one subject in a set.")
class SubjectPortrait(Presented[SetSubjectPortraitRow | LoadedSetSubjectPortrait]):
    id: uuid.UUID = strawberry.field(description=shared.ENTRY_ID)
    subject_id: uuid.UUID = strawberry.field(description=SUBJECT_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    image_media_id: strawberry.Private[uuid.UUID | None]
    image_key: strawberry.Private[MediaKey] = NOT_LOADED
    image_media: MediaResource | None = relation(media_of("image_media_id"), description=IMAGE_MEDIA)
    image_url: str | None = relation(media_urls("image_key", "image_media_id"), description=IMAGE_URL)
    subject: Subject | None = relation(
        visible_one(SubjectByIdLoader, "subject_id", present_loaded_subject), description=SUBJECT
    )


@strawberry.type(description="A set: a background preset with base images, reference images and portraits.")
class SetDesign(Presented[SetDesignRow | LoadedSetDesign]):
    id: uuid.UUID = strawberry.field(description=shared.ID)
    name: str = strawberry.field(
        description="The set design's name (not blank, at most 255 characters); lists sort by it."
    )
    description: str | None = strawberry.field(description="Free text about the set.")
    background_preset_id: uuid.UUID | None = strawberry.field(
        description="The background preset it uses, if any (kept while that preset is hidden; see backgroundPreset)."
    )
    owner_id: uuid.UUID = strawberry.field(description=shared.OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(description=shared.ORGANIZATION_ID)
    created_at: datetime = strawberry.field(description=shared.CREATED_AT)
    updated_at: datetime = strawberry.field(description=shared.UPDATED_AT)
    deleted_at: datetime | None = strawberry.field(description=shared.DELETED_AT)
    background_preset: BackgroundPreset | None = relation(
        visible_one(BackgroundPresetByIdLoader, "background_preset_id", BackgroundPreset.of),
        description="The background preset; null when there is none or you may not see it.",
    )
    base_images: list[SetBaseImage] = relation(
        rows_by_parent(SetBaseImagesBySetDesignIdLoader, SetBaseImage.of),
        description="Base images, in the order they were given.",
    )
    reference_images: list[SetReferenceImage] = relation(
        rows_by_parent(SetReferenceImagesBySetDesignIdLoader, SetReferenceImage.of),
        description="Reference images, in the order they were given.",
    )
    subject_portraits: list[SubjectPortrait] = relation(
        rows_by_parent(SetSubjectPortraitsBySetDesignIdLoader, SubjectPortrait.of),
        description="Subject portraits, in the order they were given.",
    )
