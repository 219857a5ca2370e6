"""Checks for the documented input limits (maxLength, exclusiveMinimum, minItems, ...).

A resolver collects every problem of its input, then `raise_if_any()` answers one BAD_USER_INPUT naming each bad
field by its GraphQL path (`input.name`, `input.framings.0.image`).
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Protocol

from strawberry.types.unset import UnsetType

from services.errors import BadUserInputError

MAX_PAGE_SIZE = 1000


class CheckedItem(Protocol):
    """An item of an input list that checks itself, its problems named under `path`."""

    def check(self, errors: InputErrors, path: str, /) -> None: ...


class InputErrors:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)

    def max_length(self, path: str, value: object, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"must be at most {limit} characters")

    def not_blank(self, path: str, value: object) -> None:
        if isinstance(value, str) and not value.strip():
            self.add(path, "must not be blank")

    def positive(self, path: str, value: object) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            self.add(path, "must be greater than 0")

    def min_items(self, path: str, value: object, minimum: int) -> None:
        if isinstance(value, Sized) and not isinstance(value, str | UnsetType) and len(value) < minimum:
            self.add(path, f"must contain at least {minimum} item{'s' if minimum != 1 else ''}")

    def each(self, path: str, items: list[CheckedItem] | object, *, at_most: int, noun: str = "items") -> None:
        """A given list of at most `at_most` items, each checked under `<path>.<index>` (when it is short enough:
        a request naming too many is refused before its items are read)."""
        if not isinstance(items, list):
            return
        if len(items) > at_most:
            self.add(path, f"must contain at most {at_most} {noun}")
            return
        for index, item in enumerate(items):
            item.check(self, f"{path}.{index}")

    def required(self, path: str, value: object) -> None:
        if value is None:
            self.add(path, "must not be null")

    def raise_if_any(self) -> None:
        if self.fields:
            raise BadUserInputError(self.fields)


def check_page(skip: int, limit: int, after: str | None = None) -> None:
    """A list's page: `skip` and `limit` in range, and not both `skip` and `after` (two starting points)."""
    errors = InputErrors()
    if skip < 0:
        errors.add("skip", "must be 0 or more")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        errors.add("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    if after is not None and skip:
        errors.add("skip", "cannot be combined with after")
        errors.add("after", "cannot be combined with skip")
    errors.raise_if_any()
