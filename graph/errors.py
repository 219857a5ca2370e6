"""Every error leaves with an `extensions.code` (docs/api.md, "Errors"); unexpected ones are masked.

Domain errors carry their code; documents that fail to parse or validate get GRAPHQL_PARSE_FAILED /
GRAPHQL_VALIDATION_FAILED (QUERY_TOO_COMPLEX for the depth, alias and token limits); anything else is logged
with its traceback and answered as INTERNAL_SERVER_ERROR with no detail, except PostgreSQL or Redis being
unreachable (core/outages.py), which is SERVICE_UNAVAILABLE: the client may retry.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

from core.outages import describe_outage, is_outage
from graph.refusals import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from services.errors import BadUserInputError, DomainError, RateLimitedError
from services.integrity import domain_error_of

logger = logging.getLogger("graph.errors")

INTERNAL_MESSAGE = "Internal server error"

# Messages of the depth and alias limits (the rules of Strawberry's QueryDepthLimiter and MaxAliasesLimiter) and of
# graphql-core's token limit (graph/pipeline.py sets both): they carry no code of their own, so they are recognised
# here, in one place.
_TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|Document contains more than \d+ tokens"
)
# graphql-core's wording for variables that do not coerce to their declared types (a bad enum, a missing
# required input field, a malformed UUID): bad input, as Apollo reports it.
_VARIABLE_COERCION = re.compile(
    r"^Variable '\$[^']+' (got invalid value|has invalid value|of required type|of non-null type)"
)


def classify(error: GraphQLError) -> tuple[str, str, dict[str, object]]:
    """(code, message, extra extensions) for one error."""
    original = error.original_error
    if original is not None and not isinstance(original, DomainError):
        # A constraint PostgreSQL enforced: the client's mistake or a race, not a bug (services/integrity.py).
        original = domain_error_of(original) or original
    if isinstance(original, DomainError):
        extra: dict[str, object] = {}
        if isinstance(original, BadUserInputError):
            extra["fields"] = original.fields
        if isinstance(original, RateLimitedError):
            extra["retryAfter"] = original.retry_after
        return original.code, original.message, extra
    existing = (error.extensions or {}).get("code")
    if isinstance(existing, str):
        # Refusals made at the edge keep what they tell the client (QUERY_TOO_COMPLEX's cost, retryAfter).
        return existing, error.message, {k: v for k, v in (error.extensions or {}).items() if k != "code"}
    if original is None or isinstance(original, GraphQLError):
        if _TOO_COMPLEX.search(error.message):
            return "QUERY_TOO_COMPLEX", error.message, {}
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED", error.message, {}
        if _VARIABLE_COERCION.search(error.message):
            return "BAD_USER_INPUT", error.message, {}
        if error.path is None:
            return "GRAPHQL_VALIDATION_FAILED", error.message, {}
    if original is not None and is_outage(original):
        # Not a bug of ours, and the client can do something about it (retry): one log line, no traceback.
        logger.warning("Service unavailable at %s: %s", error.path, describe_outage(original))
        return SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, {}
    logger.error("Unexpected error at %s", error.path, exc_info=original or error)
    return "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, {}


def with_codes(result: object) -> None:
    """Gives every error of one answer (graphql-core's, Strawberry's, a streamed part) its code, masking the
    unexpected ones, as the client receives them. The list is replaced, never changed: a known document's validation
    errors are shared by every request that sends it (graph/documents.py)."""
    errors: list[GraphQLError] | None = getattr(result, "errors", None)
    if errors:
        result.errors = [with_code(error) for error in errors]  # type: ignore[attr-defined]


def with_code(error: GraphQLError) -> GraphQLError:
    """The error as the client receives it: its code, and a masked message when it is unexpected."""
    code, message, extra = classify(error)
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**extra, "code": code},
    )
