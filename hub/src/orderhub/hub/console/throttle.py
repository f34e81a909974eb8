"""Slowing down password guessing: failed sign-ins are counted per username and address.

The count lives in the database, so every API process sees the same number and a restart
forgets nothing. After `MAX_FAILURES` failures within `WINDOW`, that username is refused
from that address until the oldest of those failures leaves the window. A successful
sign-in starts the count again.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.tables import ConsoleSignInAttemptRow
from orderhub.hub.store.types import utcnow

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)
"""Attempts older than this are deleted when a new one is recorded."""


def _key(username: str, ip: str) -> tuple[str, str]:
    return username.strip().lower()[:64], ip[:64]


async def retry_after(session: AsyncSession, username: str, ip: str) -> int | None:
    """Seconds until this username may try again from this address, or None if it may now."""
    name, address = _key(username, ip)
    same = (ConsoleSignInAttemptRow.username == name, ConsoleSignInAttemptRow.ip == address)
    since = utcnow() - WINDOW
    last_success = await session.scalar(
        sa.select(sa.func.max(ConsoleSignInAttemptRow.at)).where(
            *same, ConsoleSignInAttemptRow.at > since, ConsoleSignInAttemptRow.succeeded.is_(True)
        )
    )
    if last_success is not None:
        since = last_success
    failures = list(
        await session.scalars(
            sa.select(ConsoleSignInAttemptRow.at)
            .where(
                *same,
                ConsoleSignInAttemptRow.at > since,
                ConsoleSignInAttemptRow.succeeded.is_(False),
            )
            .order_by(ConsoleSignInAttemptRow.at.desc())
            .limit(MAX_FAILURES)
        )
    )
    if len(failures) < MAX_FAILURES:
        return None
    oldest = failures[-1]
    return max(1, int((oldest + WINDOW - utcnow()).total_seconds()) + 1)


async def record_attempt(session: AsyncSession, username: str, ip: str, *, succeeded: bool) -> None:
    name, address = _key(username, ip)
    now = utcnow()
    await session.execute(
        sa.delete(ConsoleSignInAttemptRow).where(ConsoleSignInAttemptRow.at < now - KEEP)
    )
    session.add(ConsoleSignInAttemptRow(username=name, ip=address, succeeded=succeeded, at=now))
    await session.flush()
