"""Server-side console sessions: the cookie carries a random secret, the database its hash.

Signing out or disabling a user ends the session at once, which a signed cookie could not
do. Each session has its own CSRF token that every form and htmx request sends back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.auth.tokens import Principal
from orderhub.hub.console.accounts import principal_of
from orderhub.hub.store.tables import ConsoleSessionRow, ConsoleUserRow
from orderhub.hub.store.types import utcnow

COOKIE = "orderhub_console"
LIFETIME = timedelta(hours=12)
"""A session ends this long after sign-in: one working day, then sign in again."""


class ConsoleSession(msgspec.Struct, frozen=True, kw_only=True):
    """Who is signed in on this browser, and the CSRF token their forms must carry."""

    id: str
    user: Principal
    csrf_token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def open_session(session: AsyncSession, user: ConsoleUserRow) -> str:
    """Start a session for `user` and return the cookie secret (only its hash is stored).

    Expired sessions are deleted on the way, so the table does not grow without end.
    """
    now = utcnow()
    await session.execute(sa.delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))
    secret = secrets.token_urlsafe(32)
    session.add(
        ConsoleSessionRow(
            id=_hash(secret),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    await session.flush()
    return secret


async def load_session(session: AsyncSession, secret: str) -> ConsoleSession | None:
    """The live session for a cookie secret, or None (unknown, expired, user disabled)."""
    row = (
        await session.execute(
            sa.select(ConsoleSessionRow, ConsoleUserRow)
            .join(ConsoleUserRow, ConsoleUserRow.id == ConsoleSessionRow.user_id)
            .where(
                ConsoleSessionRow.id == _hash(secret),
                ConsoleSessionRow.expires_at > utcnow(),
                ConsoleUserRow.active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    stored, user = row
    return ConsoleSession(id=stored.id, user=principal_of(user), csrf_token=stored.csrf_token)


async def close_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(sa.delete(ConsoleSessionRow).where(ConsoleSessionRow.id == session_id))


async def close_user_sessions(session: AsyncSession, user_id: int) -> None:
    """Sign a user out everywhere (password change, disabled account)."""
    await session.execute(sa.delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id))
