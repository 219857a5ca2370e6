from __future__ import annotations

import uuid
from typing import Any

import strawberry

from graph.common.inputs import OwnedCreate, OwnedUpdate, camel, check_name
from graph.validation import InputErrors

COLUMNS = ("name", "width", "height")


def _check_values(errors: InputErrors, values: dict[str, Any]) -> None:
    check_name(errors, values)
    for name in ("width", "height"):
        errors.positive(f"input.{camel(name)}", values.get(name))


@strawberry.input
class ResolutionPresetCreate(OwnedCreate):
    column_names = COLUMNS
    name: str
    width: int = strawberry.field(description="Width in pixels (> 0).")
    height: int = strawberry.field(description="Height in pixels (> 0).")
    organization_id: uuid.UUID | None = strawberry.field(
        default=None, description="Organization this preset belongs to."
    )

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_values(errors, values)


@strawberry.input(description="Omitted fields stay as they are.")
class ResolutionPresetUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = COLUMNS
    name: str | None = strawberry.UNSET
    width: int | None = strawberry.field(default=strawberry.UNSET, description="Width in pixels (> 0).")
    height: int | None = strawberry.field(default=strawberry.UNSET, description="Height in pixels (> 0).")

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_values(errors, values)
