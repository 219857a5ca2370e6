from __future__ import annotations

import strawberry

from graph.validation import InputErrors

MIN_PASSWORD_LENGTH = 8


@strawberry.input
class UserCreate:
    email: str
    password: str
    full_name: str | None = None
    is_superuser: bool = False

    def check(self) -> None:
        errors = InputErrors()
        if "@" not in self.email or len(self.email.strip()) < 3:
            errors.add("input.email", "must be an email address")
        errors.max_length("input.email", self.email, 320)
        if len(self.password) < MIN_PASSWORD_LENGTH:
            errors.add("input.password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
        errors.max_length("input.password", self.password, 128)
        errors.max_length("input.fullName", self.full_name, 255)
        errors.raise_if_any()
