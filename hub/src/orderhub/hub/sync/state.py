"""The `connection_state` row: what the worker last learned about a connection's health."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import ConnectionStateRow
from orderhub.hub.store.types import utcnow

ERROR_LIMIT = 2000
"""Longest error text kept; provider error bodies can be large."""


def clip(message: str) -> str:
    return message if len(message) <= ERROR_LIMIT else message[: ERROR_LIMIT - 1] + "…"


async def _upsert(session: AsyncSession, connection_id: str, **values: Any) -> None:
    await session.execute(
        dialect_insert(session)(ConnectionStateRow)
        .values(connection_id=connection_id, **values)
        .on_conflict_do_update(index_elements=["connection_id"], set_=values)
    )


async def record_success(session: AsyncSession, connection_id: str) -> None:
    await _upsert(session, connection_id, last_success_at=utcnow())


async def record_failure(session: AsyncSession, connection_id: str, error: str) -> None:
    await _upsert(session, connection_id, last_failure_at=utcnow(), last_error=clip(error))


async def record_revoked(session: AsyncSession, connection_id: str, reason: str) -> None:
    await _upsert(session, connection_id, revoked_at=utcnow(), revoked_reason=reason[:512])


async def revocation(session: AsyncSession, connection_id: str) -> str | None:
    """Why the provider withdrew our access ("app uninstalled ..."), or None while it has not."""
    row = (
        await session.execute(
            sa.select(ConnectionStateRow.revoked_at, ConnectionStateRow.revoked_reason).where(
                ConnectionStateRow.connection_id == connection_id
            )
        )
    ).first()
    if row is None or row.revoked_at is None:
        return None
    return f"{row.revoked_reason or 'access revoked'} (at {row.revoked_at.isoformat()})"


async def clear_revoked(session: AsyncSession, connection_id: str) -> bool:
    """Access works again (e.g. the app was reinstalled); True if it had been revoked."""
    result = await session.execute(
        sa.update(ConnectionStateRow)
        .where(
            ConnectionStateRow.connection_id == connection_id,
            ConnectionStateRow.revoked_at.is_not(None),
        )
        .values(revoked_at=None, revoked_reason=None)
    )
    return result.rowcount == 1
