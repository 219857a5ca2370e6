"""Users, logins and organizations."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.security import hash_password, verify_password
from db.models import Organization, OrganizationMembership, User
from db.models.enums import OrganizationRole
from services.caller import Caller
from services.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
)
from services.rate_limit import FailureLimiter
from services.sessions import revoke_all_tokens
from services.visibility import ensure_member, ensure_superuser


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


async def create_user(
    session: AsyncSession, *, email: str, password: str, full_name: str | None, is_superuser: bool
) -> User:
    if await find_user_by_email(session, email) is not None:
        raise ConflictError("A user with this email already exists")
    user = User(
        email=normalise_email(email),
        hashed_password=await asyncio.to_thread(hash_password, password),
        full_name=full_name,
        is_superuser=is_superuser,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        raise ConflictError("A user with this email already exists") from exc
    return user


async def authenticate(
    session: AsyncSession, limiter: FailureLimiter, *, email: str, password: str, client: str
) -> User:
    """The user for these credentials; attempts are limited per email and client address.

    The attempt is counted before the password is checked (one atomic step in Redis), so concurrent attempts can
    never check more passwords than the limit allows; a success forgets the count."""
    key = f"{normalise_email(email)}|{client}"
    reservation = await limiter.reserve(key)
    if not reservation.allowed:
        raise RateLimitedError(
            "Too many failed login attempts; try again in a minute", retry_after=reservation.retry_after
        )
    try:
        user = await find_user_by_email(session, email)
    except Exception:
        # No password was checked (the database is unreachable): the attempt must not use up the allowance.
        await limiter.release(key)
        raise
    # argon2 takes ~50-100 ms of CPU by design (and releases the GIL): in a thread, the loop keeps serving.
    verified = await asyncio.to_thread(verify_password, password, user.hashed_password if user else None)
    if not verified or user is None:
        raise UnauthenticatedError("Incorrect email or password")
    if not user.is_active:
        raise UnauthenticatedError("This account is deactivated")
    await limiter.reset(key)
    return user


async def create_organization(session: AsyncSession, caller: Caller, name: str) -> Organization:
    """A new organization whose owner is the caller."""
    organization = Organization(name=name.strip())
    session.add(organization)
    await session.flush()
    session.add(OrganizationMembership(organization_id=organization.id, user_id=caller.id, role=OrganizationRole.OWNER))
    await session.flush()
    return organization


async def add_member(
    session: AsyncSession,
    caller: Caller,
    *,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    role: OrganizationRole,
) -> OrganizationMembership:
    """Owners of the organization and superusers add members; an existing member gets the new role, except that
    the last owner stays one. The organization's row is locked first, so concurrent changes of its members run one
    after the other (the same user added twice at once is one membership, not a unique violation)."""
    if await session.get(Organization, organization_id, with_for_update=True) is None:
        raise NotFoundError("Organization")
    ensure_member(caller, organization_id)
    if not caller.is_superuser and not caller.is_owner_of(organization_id):
        raise ForbiddenError("Only the organization's owners may add members")
    if await session.get(User, user_id) is None:
        raise NotFoundError("User")
    membership = await session.scalar(
        select(OrganizationMembership).where(
            OrganizationMembership.organization_id == organization_id, OrganizationMembership.user_id == user_id
        )
    )
    if membership is None:
        membership = OrganizationMembership(organization_id=organization_id, user_id=user_id, role=role)
        session.add(membership)
    else:
        if membership.role is OrganizationRole.OWNER and role is not OrganizationRole.OWNER:
            await _ensure_another_owner(session, organization_id)
        membership.role = role
    await session.flush()
    return membership


async def update_user(session: AsyncSession, caller: Caller, user_id: uuid.UUID, changes: dict[str, object]) -> User:
    """Users change their own name, email and password; superusers change anyone, including the flags. A new
    password, or a deactivation, revokes every token the user was given before (this request's own included)."""
    if user_id != caller.id and not caller.is_superuser:
        raise NotFoundError("User")
    if ({"is_superuser", "is_active"} & changes.keys()) and not caller.is_superuser:
        raise ForbiddenError("Only superusers may change isSuperuser or isActive")
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFoundError("User")
    for name, value in changes.items():
        if name == "password":
            user.hashed_password = await asyncio.to_thread(hash_password, str(value))
            revoke_all_tokens(user)
        elif name == "is_active" and value is False and user.is_active:
            user.is_active = False
            revoke_all_tokens(user)
        elif name == "email":
            user.email = normalise_email(str(value))
        else:
            setattr(user, name, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ConflictError("A user with this email already exists") from exc
    return user


async def deactivate_user(session: AsyncSession, caller: Caller, user_id: uuid.UUID) -> User:
    """Users own rows everywhere, so "deleting" one deactivates it: it can no longer log in or use its tokens."""
    ensure_superuser(caller)
    if user_id == caller.id:
        raise ConflictError("You cannot deactivate yourself")
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFoundError("User")
    user.is_active = False
    revoke_all_tokens(user)
    await session.flush()
    return user


async def _ensure_another_owner(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """CONFLICT unless the organization has an owner besides the one about to stop being one (API.md: an
    organization always keeps an owner). Callers hold the organization's row lock."""
    owners = await session.scalar(
        select(func.count()).where(
            OrganizationMembership.organization_id == organization_id,
            OrganizationMembership.role == OrganizationRole.OWNER,
        )
    )
    if (owners or 0) <= 1:
        raise ConflictError("An organization needs at least one owner")


async def _owned_organization(session: AsyncSession, caller: Caller, organization_id: uuid.UUID) -> Organization:
    """The organization, locked, if the caller owns it (or is a superuser); NOT_FOUND to non-members."""
    organization = await session.get(Organization, organization_id, with_for_update=True)
    if organization is None or not (caller.is_superuser or caller.is_member(organization_id)):
        raise NotFoundError("Organization")
    if not caller.is_superuser and not caller.is_owner_of(organization_id):
        raise ForbiddenError("Only the organization's owners may do this")
    return organization


async def rename_organization(
    session: AsyncSession, caller: Caller, organization_id: uuid.UUID, name: str
) -> Organization:
    organization = await _owned_organization(session, caller, organization_id)
    organization.name = name.strip()
    await session.flush()
    return organization


async def remove_member(session: AsyncSession, caller: Caller, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Owners remove anyone; members may leave. The last owner cannot leave (the organization would be orphaned)."""
    leaving_self = user_id == caller.id and caller.is_member(organization_id)
    if leaving_self:
        # Locked as _owned_organization locks it: two owners leaving at once must not both see the other stay.
        await session.get(Organization, organization_id, with_for_update=True)
    else:
        await _owned_organization(session, caller, organization_id)
    membership = await session.scalar(
        select(OrganizationMembership).where(
            OrganizationMembership.organization_id == organization_id, OrganizationMembership.user_id == user_id
        )
    )
    if membership is None:
        raise NotFoundError("Membership")
    if membership.role is OrganizationRole.OWNER:
        await _ensure_another_owner(session, organization_id)
    await session.delete(membership)
    await session.flush()


async def delete_organization(session: AsyncSession, caller: Caller, organization_id: uuid.UUID) -> None:
    """Only an organization that holds no objects (deleted ones included) can go: nothing is orphaned."""
    organization = await _owned_organization(session, caller, organization_id)
    await session.delete(organization)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ConflictError("The organization still holds objects; move or purge them first") from exc
