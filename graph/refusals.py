"""Answers given before a GraphQL operation runs, in the shape every GraphQL client reads.

A refusal (a body that is not JSON, an unknown `operationName`, a mutation over GET, a body over the limit, the
database down while authenticating) is still a GraphQL response: JSON with an `errors` array whose entry carries
`extensions.code`, and a fitting HTTP status. There is no `data` entry, as the GraphQL spec asks of a request that
never reached execution. Nothing on `/graphql` answers `text/plain`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

import orjson
from starlette.responses import Response

BAD_REQUEST = "BAD_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"

UNAVAILABLE_MESSAGE = "The service cannot reach its database or queue at the moment; retry shortly"
# What a client should wait before retrying after SERVICE_UNAVAILABLE (a PostgreSQL restart takes a few seconds).
RETRY_AFTER_SECONDS = 5

# The code each HTTP status of a refusal carries.
_CODE_BY_STATUS = {
    400: BAD_REQUEST,
    404: "NOT_FOUND",
    405: BAD_REQUEST,
    408: BAD_REQUEST,
    413: PAYLOAD_TOO_LARGE,
    500: "INTERNAL_SERVER_ERROR",
    503: SERVICE_UNAVAILABLE,
}


def refusal(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> Response:
    return Response(refusal_body(status, message), status_code=status, media_type="application/json", headers=headers)


def refusal_body(status: int, message: str) -> bytes:
    """The JSON of a refusal, for the few places that write a response without Starlette (graph/slow_clients.py)."""
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": _CODE_BY_STATUS.get(status, BAD_REQUEST)}}]}
    )


def unavailable() -> Response:
    return refusal(503, UNAVAILABLE_MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class RefusedBody(Exception, metaclass=abc.ABCMeta):
    """Raised from a request's `receive` to stop reading its body (graph/uploads.py, graph/slow_clients.py); the
    request middleware (graph/observed.py) sends `answer()` instead, when the response has not begun. Once it has,
    nothing more can be said: the connection just ends."""

    @abc.abstractmethod
    def answer(self) -> Response:
        """The refusal sent in place of the app's answer."""
