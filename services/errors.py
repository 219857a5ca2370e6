"""Expected failures of the domain. The GraphQL edge maps each to its `extensions.code` (docs/api.md, "Errors")."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnauthenticatedError(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Authentication required") -> None:
        super().__init__(message)


class ForbiddenError(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "Not allowed") -> None:
        super().__init__(message)


class NotFoundError(DomainError):
    """Missing, soft-deleted or invisible: one message for all three, so nothing hidden is revealed."""

    code = "NOT_FOUND"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class BadUserInputError(DomainError):
    code = "BAD_USER_INPUT"

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        self.fields = dict(fields)
        if message is None:
            message = "Invalid input: " + "; ".join(f"{name}: {problem}" for name, problem in self.fields.items())
        super().__init__(message)


class ConflictError(DomainError):
    code = "CONFLICT"


class PayloadTooLargeError(DomainError):
    code = "PAYLOAD_TOO_LARGE"


class QueryTooComplexError(DomainError):
    """The operation asks for more work than the limits allow (cost, execution time, a statement's time)."""

    code = "QUERY_TOO_COMPLEX"


class RateLimitedError(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        # Seconds until trying again can succeed: `extensions.retryAfter`, and `Retry-After` over plain HTTP.
        self.retry_after = retry_after
