"""The organization an operation acts in, given as an argument (the spec's query parameter) or in the input."""

from __future__ import annotations

import uuid

from services.errors import BadUserInputError


def merge_organization(argument: uuid.UUID | None, in_input: uuid.UUID | None) -> uuid.UUID | None:
    if argument is not None and in_input is not None and argument != in_input:
        raise BadUserInputError({"input.organizationId": "differs from the organizationId argument"})
    return argument if argument is not None else in_input
