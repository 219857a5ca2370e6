from __future__ import annotations

from typing import Annotated

import strawberry

from graph.styles.types import Style
from graph.subjects.types import Subject

LoraStatusEntity = Annotated[
    Subject | Style,
    strawberry.union("LoraStatusEntity", description="What loraStatus follows: the Subject or the Style asked for."),
]
