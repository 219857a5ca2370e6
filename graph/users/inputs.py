from __future__ import annotations

import strawberry

from graph.common.inputs import changes, forbid_null
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
        _check_user_fields(errors, {"email": self.email, "password": self.password, "full_name": self.full_name})
        errors.raise_if_any()


def _check_user_fields(errors: InputErrors, values: dict[str, object]) -> None:
    email, password = values.get("email"), values.get("password")
    if "email" in values and (not isinstance(email, str) or "@" not in email or len(email.strip()) < 3):
        errors.add("input.email", "must be an email address")
    errors.max_length("input.email", email, 320)
    if "password" in values and (not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH):
        errors.add("input.password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    errors.max_length("input.password", password, 128)
    errors.max_length("input.fullName", values.get("full_name"), 255)


USER_UPDATE_FIELDS = ("email", "password", "full_name", "is_superuser", "is_active")


@strawberry.input(description="Omitted fields stay as they are. isSuperuser and isActive: superusers only.")
class UserUpdate:
    email: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    full_name: str | None = strawberry.UNSET
    is_superuser: bool | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        values = changes(self, USER_UPDATE_FIELDS)
        errors = InputErrors()
        forbid_null(errors, "input", values, ("email", "password", "is_superuser", "is_active"))
        _check_user_fields(errors, values)
        errors.raise_if_any()
        return values
