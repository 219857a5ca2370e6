from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from db.models import ShotType
from db.models.enums import DefaultShotTypes, ShotTypeFraming, ViewAngle
from graph.loaders import RowByIdLoader


class LoadedShotType(NamedTuple):
    owner_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    name: str
    view_angle: ViewAngle
    framing: ShotTypeFraming
    shot_type_ref_image_url: str | None
    shot_type_prompt_instruction: str | None
    file_naming_convention: str | None
    reference_image_media_id: uuid.UUID | None
    prompt: str | None
    prompt_builder_section: str | None
    core_focus: bool
    default_shot_type: DefaultShotTypes | None
    margins: str | None
    public: bool
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


# Any domain that points at shot types (pose presets, subjects' base images, ...) loads them through this one.
class ShotTypeByIdLoader(RowByIdLoader[LoadedShotType]):
    model = ShotType
