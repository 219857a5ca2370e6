"""The `Upload` scalar, accepting only files.

Strawberry's own passes any value through, so a JSON request naming a string (or a number, or an object) where a
file goes reached the resolvers, which read it as a file and failed: an internal error for a client's mistake
(found by `make fuzz`). Here a value is an Upload only when it is the part of a multipart request the map put
there, which Starlette gives as an UploadFile; anything else is refused while variables are coerced
(BAD_USER_INPUT) or the document validated (GRAPHQL_VALIDATION_FAILED), before any resolver runs.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValueNode
from starlette.datastructures import UploadFile
from strawberry.file_uploads.scalars import UploadDefinition
from strawberry.types.scalar import ScalarDefinition, scalar

NOT_A_FILE = "an Upload is a file sent as a GraphQL multipart request, not a value in the query or its variables"


def _parse_value(value: object) -> UploadFile:
    if not isinstance(value, UploadFile):
        raise GraphQLError(NOT_A_FILE)
    return value


def _serialize(value: object) -> object:
    return value  # as Strawberry's: an Upload is never answered, only taken


def _parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> UploadFile:
    # graphql-core only calls this for literals written in the document (a variable is coerced by _parse_value),
    # and no literal can be a file. A GraphQLError, not a ValueError: graphql-core keeps it as the validation
    # error itself, where another exception would be carried as its cause, and read as a bug (graph/errors.py).
    raise GraphQLError(NOT_A_FILE)


FileOnlyUpload: ScalarDefinition = scalar(
    name=UploadDefinition.name,
    description=UploadDefinition.description,
    serialize=_serialize,
    parse_value=_parse_value,
    parse_literal=_parse_literal,
)
