"""Small output types every domain shares."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A plain confirmation.")
class Message:
    message: str = strawberry.field(description='What was done, in words (e.g. "Style deleted successfully").')
