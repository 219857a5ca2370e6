"""What inputs share: the fields and checks of an owned model's `XCreate` and `XUpdate` (`OwnedCreate`,
`OwnedUpdate`), and helpers for `XUpdate` inputs, where an omitted field (UNSET) means "leave as is" and null means
"clear"."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import strawberry
from strawberry.types.unset import UnsetType

from graph.common import descriptions as shared
from graph.media.inputs import MediaInput
from graph.validation import InputErrors
from services.media import MediaSource


def given(value: object) -> bool:
    return not isinstance(value, UnsetType)


def changes(source: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The given fields of an update input, by attribute name."""
    return {name: getattr(source, name) for name in fields if given(getattr(source, name))}


def forbid_null(errors: InputErrors, prefix: str, values: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Non-nullable columns may be omitted from an update but not set to null."""
    for name in fields:
        if name in values and values[name] is None:
            errors.add(f"{prefix}.{camel(name)}", "must not be null")


def camel(name: str) -> str:
    """`age_class` -> `ageClass`: how a Python field name appears in GraphQL and in `extensions.fields`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def source_of(image: MediaInput | None) -> MediaSource | None:
    """An optional image argument as the media service takes it."""
    return image.source() if image is not None else None


NAME_MAX_LENGTH = 255


def check_name(errors: InputErrors, values: Mapping[str, Any]) -> None:
    """The `name` among an input's values, when given: at most NAME_MAX_LENGTH characters and not blank."""
    name = values.get("name")
    errors.max_length("input.name", name, NAME_MAX_LENGTH)
    errors.not_blank("input.name", name)


def _check_images(source: object, errors: InputErrors, image_fields: Mapping[str, str]) -> None:
    for field in image_fields.values():
        image = getattr(source, field)
        if isinstance(image, MediaInput):
            image.check(errors, f"input.{camel(field)}")


# Ownership: who owns a new row, or a change of owner and a transfer (services/crud.apply_changes checks them).
OWNERSHIP = ("owner_id", "organization_id")


@strawberry.input(description="The fields of every owned model's create input (a base, not itself in the schema).")
class OwnedCreate:
    """An owned model's `XCreate` (graph/crud.CreateInput): the values of its `column_names`, the images of its
    `image_fields` (the service's name for each -> the input field that gives it), the owner a superuser may name,
    and the organization. Its own checks are `check_values`; `check` runs them, then the images'."""

    column_names: ClassVar[tuple[str, ...]]
    image_fields: ClassVar[Mapping[str, str]] = {}
    owner_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(default=None, description=shared.NEW_ORGANIZATION_ID)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.column_names}

    def images(self) -> dict[str, MediaSource | None]:
        return {name: source_of(getattr(self, field)) for name, field in self.image_fields.items()}

    def parts(self) -> Any:
        """The nested lists, as the model's service writes them (services/owned.Parts); None where there are none."""
        return None

    def check(self) -> None:
        errors = InputErrors()
        self.check_values(errors, self.columns())
        _check_images(self, errors, self.image_fields)
        errors.raise_if_any()

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        """The input's own checks: of its columns' `values`, and of its other fields."""


@strawberry.input(description="The fields of every owned model's update input (a base, not itself in the schema).")
class OwnedUpdate:
    """An owned model's `XUpdate`: `OwnedCreate`'s declarations, where only the given fields change (`changes`),
    columns of `not_null` may not be set to null, and neither may the owner."""

    column_names: ClassVar[tuple[str, ...]]
    not_null: ClassVar[tuple[str, ...]]
    image_fields: ClassVar[Mapping[str, str]] = {}
    owner_id: uuid.UUID | None = strawberry.field(default=strawberry.UNSET, description=shared.CHANGED_OWNER_ID)
    organization_id: uuid.UUID | None = strawberry.field(
        default=strawberry.UNSET, description=shared.TRANSFER_ORGANIZATION_ID
    )

    def columns(self) -> dict[str, Any]:
        """The given columns."""
        return changes(self, self.column_names)

    def changes(self) -> dict[str, Any]:
        """Everything given: the columns, the images (a source, or None to clear one), the owner and organization."""
        images = {
            name: source_of(getattr(self, field))
            for name, field in self.image_fields.items()
            if given(getattr(self, field))
        }
        return {**self.columns(), **images, **changes(self, OWNERSHIP)}

    def parts(self) -> Any:
        """The given nested lists, as the model's service writes them (services/owned.Parts); None where there are
        none."""
        return None

    def check(self) -> None:
        errors = InputErrors()
        values = self.columns()
        forbid_null(errors, "input", values, self.not_null)
        self.check_values(errors, values)
        _check_images(self, errors, self.image_fields)
        if self.owner_id is None:
            errors.add("input.ownerId", "must not be null")
        errors.raise_if_any()

    def check_values(self, errors: InputErrors, values: dict[str, Any]) -> None:
        """The input's own checks: of its given columns' `values`, and of its other fields."""
