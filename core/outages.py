"""Is this failure PostgreSQL or Redis being unreachable for the moment?

Such a failure is not a bug of ours: the API answers `SERVICE_UNAVAILABLE` ("retry later", API.md "Errors") instead
of a masked `INTERNAL_SERVER_ERROR`, and logs one line instead of a traceback. The drivers' errors arrive wrapped
(SQLAlchemy's `DBAPIError` around asyncpg's, an `OSError` as the cause of a driver error), so the whole chain of
causes is read.
"""

from __future__ import annotations

import errno
import socket

import asyncpg.exceptions
import redis.exceptions
import sqlalchemy.exc

# Errors that say the server is gone, starting, stopping or full, never that the statement was wrong. A statement
# timeout (QueryCanceledError) is not among them: it is about the request, not the server.
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted: the builtin family, raised by both drivers' sockets
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08, including "connection does not exist"
    asyncpg.exceptions.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed" and friends
    redis.exceptions.ConnectionError,  # includes BusyLoadingError
    redis.exceptions.TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
)

# Socket errors outside the ConnectionError family that still mean "cannot reach the server" (a full disk or a
# missing file is an OSError too, and is not an outage).
_UNREACHABLE_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EHOSTDOWN})

_MAX_CHAIN = 10


def is_outage(error: BaseException) -> bool:
    """True when `error`, or any error it was raised from, says PostgreSQL or Redis cannot be reached now."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < _MAX_CHAIN:
        if isinstance(current, _OUTAGE_TYPES):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, socket.gaierror) or (
            isinstance(current, OSError) and current.errno in _UNREACHABLE_ERRNOS
        ):
            return True
        seen += 1
        current = current.__cause__ or current.__context__
    return False


def describe_outage(error: BaseException) -> str:
    """One line for the log: the type and message of the root cause (say, asyncpg's "connection was closed in the
    middle of operation"). Not the wrapper's message: SQLAlchemy's carries the statement and its parameters."""
    root, depth = error, 0
    while depth < _MAX_CHAIN and (cause := root.__cause__ or root.__context__) is not None:
        root, depth = cause, depth + 1
    return f"{type(root).__name__}: {root}"
