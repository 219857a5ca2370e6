"""Small output types every domain shares."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A plain confirmation.")
class Message:
    message: str
