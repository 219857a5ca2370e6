from __future__ import annotations

from typing import Any

import strawberry

from graph.common.inputs import OwnedCreate, OwnedUpdate, camel, check_name
from graph.validation import InputErrors

COLUMNS = ("name", "width", "height")


def _check_values(errors: InputErrors, values: dict[str, Any]) -> None:
    check_name(errors, values)
    for name in ("width", "height"):
        errors.positive(f"input.{camel(name)}", values.get(name))


@strawberry.input(description="A new resolution preset (the documented ResolutionPresetCreate).")
class ResolutionPresetCreate(OwnedCreate):
    column_names = COLUMNS
    name: str = strawberry.field(description="The preset's name: not blank, at most 255 characters.")
    width: int = strawberry.field(description="Width in pixels (> 0).")
    height: int = strawberry.field(description="Height in pixels (> 0).")

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_values(errors, values)


@strawberry.input(description="Omitted fields stay as they are.")
class ResolutionPresetUpdate(OwnedUpdate):
    column_names = COLUMNS
    not_null = COLUMNS
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The preset's name: not blank, at most 255 characters (null is refused)."
    )
    width: int | None = strawberry.field(default=strawberry.UNSET, description="Width in pixels (> 0).")
    height: int | None = strawberry.field(default=strawberry.UNSET, description="Height in pixels (> 0).")

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        _check_values(errors, values)
