"""What is known of one GraphQL request once it is answered, and its report: one log line and its metrics.

The HTTP middleware (graph/observed.py) opens a record for each request to /graphql; the operation pipeline
(graph/pipeline.py, through graph/operations_seen.py) fills in the operation it ran. An operation over a websocket
has no HTTP request around it: the pipeline reports it itself, with no status.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field

from graph import metrics

logger = logging.getLogger("graph.requests")


@dataclass
class Operation:
    """The operation a request ran, as the answer left: its name in the document (a GraphQL name, or None when
    anonymous), its type, the caller, and the codes of the answer's errors."""

    name: str | None
    type: str | None
    user_id: str | None
    error_codes: list[str] = field(default_factory=list)


@dataclass
class RequestRecord:
    """One HTTP request to /graphql; `operation` stays None when the request was answered without running one
    (a refusal: the middleware then reads the codes from the answer itself)."""

    operation: Operation | None = None


current_request: ContextVar[RequestRecord | None] = ContextVar("graphql_request", default=None)


def report(operation: Operation | None, *, seconds: float, status: int | None, error_codes: list[str]) -> None:
    """The request's log line (with the request id bound by the middleware) and its metrics."""
    name = operation.name if operation else None
    operation_type = operation.type if operation else None
    metrics.count_request(name, operation_type, seconds, error_codes)
    if not logger.isEnabledFor(logging.INFO):
        return
    duration_ms = round(seconds * 1000, 3)
    what = " ".join(part for part in (operation_type or "request", name) if part)
    answered = f"answered {status}" if status is not None else "ended"
    errors = f", errors {', '.join(error_codes)}" if error_codes else ""
    fields = {
        "operation_name": name,
        "operation_type": operation_type,
        "user_id": operation.user_id if operation else None,
        "duration_ms": duration_ms,
        "status": status,
        "error_codes": error_codes,
    }
    # The record made as `logger.info` makes it, less its search of the call stack for the caller's file, line and
    # function (~10% of the line's cost), which no line shows (core/logs.py): they are named here instead.
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        _LINE,
        _MESSAGE,
        (what, answered, duration_ms, errors),
        None,
        "report",
        fields,
    )
    logger.handle(record)


_MESSAGE = "%s %s in %.1f ms%s"
_LINE = report.__code__.co_firstlineno
