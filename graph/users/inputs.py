from __future__ import annotations

import strawberry

from graph.common.inputs import changes, forbid_null
from graph.validation import InputErrors

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
EMAIL = "An email address, at most 320 characters; unique, ignoring case."
PASSWORD = f"From {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters."
FULL_NAME = "The user's full name, at most 255 characters."


@strawberry.input(description="A new user account (superusers only).")
class UserCreate:
    email: str = strawberry.field(description=EMAIL)
    password: str = strawberry.field(description=PASSWORD)
    full_name: str | None = strawberry.field(default=None, description=FULL_NAME)
    is_superuser: bool = strawberry.field(default=False, description="Make the user a superuser.")

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
    errors.max_length("input.password", password, MAX_PASSWORD_LENGTH)
    errors.max_length("input.fullName", values.get("full_name"), 255)


USER_UPDATE_FIELDS = ("email", "password", "full_name", "is_superuser", "is_active")


@strawberry.input(description="Omitted fields stay as they are. isSuperuser and isActive: superusers only.")
class UserUpdate:
    email: str | None = strawberry.field(default=strawberry.UNSET, description=f"{EMAIL} Null is refused.")
    password: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"{PASSWORD} Changing it ends every earlier session of the user. Null is refused.",
    )
    full_name: str | None = strawberry.field(default=strawberry.UNSET, description=f"{FULL_NAME} Null clears it.")
    is_superuser: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Make the user a superuser, or not (superusers only)."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="False deactivates the user and ends every session (superusers only).",
    )

    def changes(self) -> dict[str, object]:
        values = changes(self, USER_UPDATE_FIELDS)
        errors = InputErrors()
        forbid_null(errors, "input", values, ("email", "password", "is_superuser", "is_active"))
        _check_user_fields(errors, values)
        errors.raise_if_any()
        return values
