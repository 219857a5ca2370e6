"""Helpers for `XUpdate` inputs, where an omitted field (UNSET) means "leave as is" and null means "clear"."""

from __future__ import annotations

from typing import Any

from strawberry.types.unset import UnsetType

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


def image_change(name: str, image: MediaInput | None) -> dict[str, MediaSource | None]:
    """An update's optional image under `name`: nothing when not given, else its source (None clears it)."""
    return {name: source_of(image)} if given(image) else {}


def ownership_changes(source: Any) -> dict[str, Any]:
    """The given `ownerId` / `organizationId` of an update input (services/crud.apply_changes checks them)."""
    return {name: getattr(source, name) for name in ("owner_id", "organization_id") if given(getattr(source, name))}
