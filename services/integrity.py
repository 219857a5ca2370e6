"""What a statement PostgreSQL refused means to the client: a constraint it enforced, or its time limit.

The services check what they can before writing (an organization you are not in, an object you cannot see), but a
superuser may name any id, and two requests may race between a check and the write. PostgreSQL's constraints are
then the last word, and this turns their violation into the domain error the client should have seen, instead of
an internal error: a foreign key to a missing organization or user is NOT_FOUND, a row still referenced is a
CONFLICT, and a unique violation (the same thing made twice at once) is a CONFLICT. The transaction was rolled
back, so nothing is half written. A statement that ran past `statement_timeout` (db/engine.py) was asked to do too
much: QUERY_TOO_COMPLEX.
"""

from __future__ import annotations

import re

import asyncpg.exceptions

from services.errors import ConflictError, DomainError, NotFoundError, QueryTooComplexError

# The referenced table named in a foreign-key violation's detail, as PostgreSQL words it.
_MISSING = re.compile(r'is not present in table "(?P<table>[^"]+)"')
_WHAT = {"organizations": "Organization", "users": "User"}
_MAX_CHAIN = 10


def domain_error_of(error: BaseException) -> DomainError | None:
    violation = _violation(error)
    if isinstance(violation, asyncpg.exceptions.ForeignKeyViolationError):
        missing = _MISSING.search(violation.detail or "")
        if missing is not None:
            return NotFoundError(_WHAT.get(missing.group("table"), "Referenced object"))
        return ConflictError("It is still in use by other objects")
    if isinstance(violation, asyncpg.exceptions.UniqueViolationError):
        return ConflictError("It conflicts with an existing one (made at the same moment?); read it again and retry")
    if isinstance(violation, asyncpg.exceptions.QueryCanceledError):
        return QueryTooComplexError("A database statement ran past its time limit; ask for less at once")
    return None


def _violation(error: BaseException) -> asyncpg.exceptions.PostgresError | None:
    current: BaseException | None = error
    for _ in range(_MAX_CHAIN):
        if current is None:
            return None
        if isinstance(
            current,
            asyncpg.exceptions.IntegrityConstraintViolationError | asyncpg.exceptions.QueryCanceledError,
        ):
            return current
        current = current.__cause__ or current.__context__
    return None
