"""API tokens: random secrets shown once, stored as SHA-256, each carrying a role.

A 256-bit random token needs no slow hash: SHA-256 of it cannot be reversed or guessed,
and a lookup by hash keeps authentication to one indexed query.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import timedelta

import msgspec
import sqlalchemy as sa
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.errors import Conflict, InvalidInput
from orderhub.hub.locations.service import location_ids
from orderhub.hub.store.tables import ApiTokenRow
from orderhub.hub.store.types import utcnow

TOKEN_PREFIX = "ohk_"


class Role(enum.StrEnum):
    ADMIN = "admin"
    """Everything, including tokens, connections and replays."""
    OPERATOR = "operator"
    """Orders, holds, stock, routing; no configuration."""
    WAREHOUSE = "warehouse"
    """Stock and fulfillment at its own locations."""
    READ_ONLY = "read-only"
    """Reads everything, changes nothing."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: the token's name, role and (for warehouse) locations."""

    name: str
    role: Role
    locations: tuple[str, ...] = ()

    @property
    def actor_name(self) -> str:
        return self.name


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    session: AsyncSession, name: str, role: Role | str, *, locations: list[str] | None = None
) -> str:
    """Create a token and return its secret; only the hash is kept."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidInput(
            f"unknown role {role!r}", code="unknown_role", allowed=[r.value for r in Role]
        ) from exc
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiTokenRow(
            name=name,
            prefix=secret[:10],
            token_hash=hash_token(secret),
            role=role.value,
            locations=list(locations or []),
        )
    )
    await session.flush()
    return secret


LAST_USED_PRECISION = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token: a busy token costs one small
update a minute, not one per request."""


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    """Who the secret belongs to (None when unknown or revoked); a valid token's
    `last_used_at` is brought up to date (to `LAST_USED_PRECISION`) in the caller's
    transaction."""
    row = await session.scalar(
        sa.select(ApiTokenRow).where(
            ApiTokenRow.token_hash == hash_token(secret), ApiTokenRow.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
    return Principal(name=row.name, role=Role(row.role), locations=tuple(row.locations or ()))


class TokenCache:
    """The tokens an API process has checked recently, so that most requests need no query.

    Only valid tokens are kept (a token just created works at once), each for `ttl` seconds;
    `forget` drops a name's entries when this process revokes it."""

    MAX_ENTRIES = 4096

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, secret: str, now: float) -> Principal | None:
        entry = self._entries.get(hash_token(secret))
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def put(self, secret: str, principal: Principal, now: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[hash_token(secret)] = (now + self.ttl, principal)

    def forget(self, name: str) -> None:
        for key in [k for k, (_, p) in self._entries.items() if p.name == name]:
            del self._entries[key]


async def revoke_token(session: AsyncSession, name: str) -> int:
    result = await session.execute(
        sa.update(ApiTokenRow)
        .where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


async def active_token(session: AsyncSession, name: str) -> ApiTokenRow | None:
    """The token of that name that is not revoked, if there is one."""
    return await session.scalar(
        sa.select(ApiTokenRow).where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
    )


async def list_tokens(session: AsyncSession) -> list[ApiTokenRow]:
    """Every token, revoked ones included, oldest first. Rows hold only the secret's hash."""
    return list(await session.scalars(sa.select(ApiTokenRow).order_by(ApiTokenRow.id)))


async def issue_token(
    session: AsyncSession, name: str, role: Role | str, locations: list[str] | tuple[str, ...] = ()
) -> str:
    """Create a token after the checks every caller (API, CLI) needs; returns the secret.

    A warehouse token must name the locations it may act on, and only a warehouse token may;
    the locations must exist; the name must not belong to an active token.
    """
    role = Role(role)
    wanted = sorted(set(locations))
    if role is Role.WAREHOUSE and not wanted:
        raise InvalidInput(
            "a warehouse token needs the locations it may act on", code="locations_required"
        )
    if role is not Role.WAREHOUSE and wanted:
        raise InvalidInput(
            f"locations apply to warehouse tokens only, not {role.value}",
            code="locations_not_allowed",
        )
    unknown = sorted(set(wanted) - set(await location_ids(session)))
    if unknown:
        raise InvalidInput(
            f"unknown location(s): {', '.join(unknown)}", code="unknown_location", locations=unknown
        )
    exists = Conflict(
        f"a token named {name!r} exists; revoke it first", code="token_exists", name=name
    )
    if await active_token(session, name) is not None:
        raise exists
    try:
        async with session.begin_nested():
            return await create_token(session, name, role, locations=wanted)
    except sa.exc.IntegrityError:
        # Another request made one with this name since the check (the unique index).
        raise exists from None


TokenCacheDep = NamedDependency[TokenCache]
"""The app's `TokenCache`: `async def handler(token_cache: TokenCacheDep) -> ...`."""
