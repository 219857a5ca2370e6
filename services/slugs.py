"""URL slugs: readable, unique, stable, and safe when many creates race for the same name.

A slug is made once, from the name at creation; renames keep it (links stay valid) unless a new slug is asked
for. Uniqueness is the database's job (a unique constraint): each candidate is inserted inside a savepoint and
the next is tried when another transaction took it, so concurrent creates never fail and never collide.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import ConflictError

T = TypeVar("T")

MAX_SLUG_LENGTH = 280
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ATTEMPTS = 8


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or "item"


def candidates(base: str) -> Iterator[str]:
    """The base slug, then the base with a short random suffix (random, not -2/-3, so racing creates rarely
    pick the same candidate twice)."""
    yield base
    while True:
        yield f"{base}-{secrets.token_hex(3)}"


async def insert_with_unique_slug(
    session: AsyncSession, name: str, insert: Callable[[str], Awaitable[T]], *, what: str
) -> T:
    """Run `insert(slug)` (which adds and flushes the row) with successive candidates until one is free."""
    for attempt, slug in enumerate(candidates(slugify(name))):
        if attempt >= _ATTEMPTS:
            break
        try:
            async with session.begin_nested():
                return await insert(slug)
        except IntegrityError as exc:
            if "slug" not in str(exc.orig):
                raise
    raise ConflictError(f"Could not find a free slug for this {what.lower()}; try another name")


async def add_with_unique_slug(session: AsyncSession, name: str, make: Callable[[str], T], *, what: str) -> T:
    """Add the row `make(slug)` makes, under the first free slug made from `name`."""

    async def insert(slug: str) -> T:
        row = make(slug)
        session.add(row)
        await session.flush()
        return row

    return await insert_with_unique_slug(session, name, insert, what=what)
