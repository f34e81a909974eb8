"""Console accounts: people with a username, an argon2id password hash and a role.

Roles are the API's (`auth.tokens.Role`), so a console user and a token with the same role
may do the same things; a warehouse user carries the location codes it works at.
"""

from __future__ import annotations

import asyncio
import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.auth.tokens import Principal, Role
from orderhub.hub.errors import Conflict, InvalidInput, NotFound
from orderhub.hub.locations.service import location_ids
from orderhub.hub.store.tables import ConsoleUserRow
from orderhub.hub.store.types import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
"""argon2id with the library's defaults (RFC 9106 low-memory profile)."""

_DUMMY_HASH = _hasher.hash("an unguessable dummy password")
"""Verified against when the username is unknown, so both cases take the same time."""


def principal_of(row: ConsoleUserRow) -> Principal:
    """The user as the rest of the hub sees a caller: name, role and locations."""
    return Principal(name=row.username, role=Role(row.role), locations=tuple(row.locations or ()))


def normalize_username(username: str) -> str:
    return username.strip().lower()


async def _check_fields(
    session: AsyncSession, role: Role, locations: list[str], password: str | None
) -> None:
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD} characters", code="password_too_short"
        )
    if role is Role.WAREHOUSE and not locations:
        raise InvalidInput(
            "a warehouse user needs the locations it works at", code="locations_required"
        )
    if role is not Role.WAREHOUSE and locations:
        raise InvalidInput(
            f"locations apply to warehouse users only, not {role.value}",
            code="locations_not_allowed",
        )
    unknown = sorted(set(locations) - set(await location_ids(session)))
    if unknown:
        raise InvalidInput(
            f"unknown location(s): {', '.join(unknown)}",
            code="unknown_location",
            locations=unknown,
        )


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise InvalidInput(
            f"unknown role {role!r}", code="unknown_role", allowed=[r.value for r in Role]
        ) from exc


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: Role | str,
    *,
    locations: list[str] | None = None,
) -> ConsoleUserRow:
    """Add a user; 422 for a bad name, short password or bad locations, 409 if taken."""
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise InvalidInput(
            "a username is 2 to 64 characters: letters, digits, '.', '_', '@', '-'",
            code="invalid_username",
        )
    role = _role(role)
    wanted = sorted(set(locations or []))
    await _check_fields(session, role, wanted, password)
    if await find_user(session, name) is not None:
        raise Conflict(f"a user named {name!r} exists", code="user_exists", username=name)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    row = ConsoleUserRow(
        username=name, password_hash=password_hash, role=role.value, locations=wanted
    )
    session.add(row)
    await session.flush()
    return row


async def find_user(session: AsyncSession, username: str) -> ConsoleUserRow | None:
    return await session.scalar(
        sa.select(ConsoleUserRow).where(ConsoleUserRow.username == normalize_username(username))
    )


async def get_user(session: AsyncSession, username: str) -> ConsoleUserRow:
    row = await find_user(session, username)
    if row is None:
        raise NotFound(f"no user {username!r}", code="unknown_user", username=username)
    return row


async def list_users(session: AsyncSession) -> list[ConsoleUserRow]:
    return list(await session.scalars(sa.select(ConsoleUserRow).order_by(ConsoleUserRow.username)))


async def update_user(
    session: AsyncSession,
    username: str,
    *,
    role: Role | str | None = None,
    locations: list[str] | None = None,
    password: str | None = None,
    active: bool | None = None,
) -> ConsoleUserRow:
    """Change a user's role, locations, password or whether it may sign in."""
    row = await get_user(session, username)
    new_role = _role(role) if role is not None else Role(row.role)
    new_locations = sorted(set(locations)) if locations is not None else list(row.locations)
    if role is not None and locations is None and new_role is not Role.WAREHOUSE:
        new_locations = []
    await _check_fields(session, new_role, new_locations, password)
    row.role = new_role.value
    row.locations = new_locations
    if password is not None:
        row.password_hash = await asyncio.to_thread(_hasher.hash, password)
    if active is not None:
        row.active = active
    await session.flush()
    return row


async def verify_password(
    session: AsyncSession, username: str, password: str
) -> ConsoleUserRow | None:
    """The active user if the password is right, else None. Rehashes outdated hashes.

    Hashing is deliberately slow, so it runs in a thread and the event loop keeps serving.
    """
    row = await find_user(session, username)
    if row is None or not row.active:
        await asyncio.to_thread(_matches, _DUMMY_HASH, password)
        return None
    if not await asyncio.to_thread(_matches, row.password_hash, password):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = await asyncio.to_thread(_hasher.hash, password)
    row.last_sign_in_at = utcnow()
    return row


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
