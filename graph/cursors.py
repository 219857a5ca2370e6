"""Keyset cursors: the opaque `after` / `endCursor` strings of a list's pages.

A cursor is base64url (unpadded) of the JSON array `[list, order, value..., id]`: the list's GraphQL field name,
the order it was made for (`default`, or `column:ASC|DESC`), and the sort values of the page's last row. It is a
position, not a credential: a page read after it still shows only what the caller may see, so it is neither
signed nor encrypted. A cursor that does not decode, was made for another list or order, or holds values of the
wrong type is BAD_USER_INPUT naming `after`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.errors import BadUserInputError

AFTER = "after"
MALFORMED = "is not a cursor this API made"
FOREIGN = "was made for another list or order: start again without it"


def encode(list_name: str, order: str, values: Sequence[Any]) -> str:
    payload = json.dumps([list_name, order, *(_plain(value) for value in values)], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def decode(cursor: str, list_name: str, order: str, columns: Sequence[Any]) -> list[Any]:
    """The sort values a cursor of this list and order holds, typed as `columns` (the sort keys' table columns)."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise BadUserInputError({AFTER: MALFORMED}) from None
    if not isinstance(payload, list) or len(payload) < 2:
        raise BadUserInputError({AFTER: MALFORMED})
    if payload[:2] != [list_name, order]:
        raise BadUserInputError({AFTER: FOREIGN})
    if len(payload) != 2 + len(columns):
        raise BadUserInputError({AFTER: MALFORMED})
    try:
        return [_typed(value, column) for value, column in zip(payload[2:], columns, strict=True)]
    except (TypeError, ValueError):
        raise BadUserInputError({AFTER: MALFORMED}) from None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _typed(value: Any, column: Any) -> Any:
    """`value` as the Python value of `column`; TypeError or ValueError when it cannot be one."""
    if value is None:
        if not column.nullable:
            raise ValueError("null in a column without nulls")
        return None
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return enum_class(value)
    kind = column.type.python_type
    if kind is datetime:
        if not isinstance(value, str):
            raise TypeError("a time is a string")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a time without its zone")
        return moment
    if kind is uuid.UUID:
        if not isinstance(value, str):
            raise TypeError("an id is a string")
        return uuid.UUID(value)
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError("not an integer")
    if kind is str and not isinstance(value, str):
        raise TypeError("not a string")
    if kind is float and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise TypeError("not a number")
    return value
