from __future__ import annotations

import uuid
from typing import Any

import strawberry

from graph.common import descriptions as shared
from graph.common.inputs import camel, changes, forbid_null
from graph.validation import InputErrors

COLUMNS = ("name", "width", "height")


def _check_values(errors: InputErrors, values: dict[str, Any]) -> None:
    errors.max_length("input.name", values.get("name"), 255)
    errors.not_blank("input.name", values.get("name"))
    for name in ("width", "height"):
        errors.positive(f"input.{camel(name)}", values.get(name))


@strawberry.input(description="A new resolution preset (the documented ResolutionPresetCreate).")
class ResolutionPresetCreate:
    name: str = strawberry.field(description="The preset's name: not blank, at most 255 characters.")
    width: int = strawberry.field(description="Width in pixels (> 0).")
    height: int = strawberry.field(description="Height in pixels (> 0).")
    owner_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_ORGANIZATION_ID)

    def check(self) -> None:
        errors = InputErrors()
        _check_values(errors, {name: getattr(self, name) for name in COLUMNS})
        errors.raise_if_any()


@strawberry.input(description="Omitted fields stay as they are.")
class ResolutionPresetUpdate:
    name: str | None = strawberry.UNSET
    width: int | None = strawberry.field(default=strawberry.UNSET, description="Width in pixels (> 0).")
    height: int | None = strawberry.field(default=strawberry.UNSET, description="Height in pixels (> 0).")
    owner_id: uuid.UUID | None = strawberry.field(default=strawberry.UNSET, description="Superusers only.")
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description="Transfer: into an organization you belong to, or null to move it out."
    )

    def columns(self) -> dict[str, Any]:
        return changes(self, COLUMNS)

    def check(self) -> None:
        errors = InputErrors()
        values = self.columns()
        forbid_null(errors, "input", values, COLUMNS)
        _check_values(errors, values)
        if self.owner_id is None:
            errors.add("input.ownerId", "must not be null")
        errors.raise_if_any()
