"""Reading a connection's health: the worker's last word and its inbox/outbox backlog."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connection import Connection
from orderhub.hub.connections.schemas import (
    BACKLOG_STATUSES,
    Backlog,
    ConnectionHealth,
    ConnectionOut,
)
from orderhub.hub.store.tables import ConnectionStateRow, InboxRow, OutboxRow


async def _backlogs(
    session: AsyncSession, table: type[InboxRow] | type[OutboxRow], ids: Sequence[str]
) -> dict[str, Backlog]:
    rows = await session.execute(
        sa.select(table.connection_id, table.status, sa.func.count())
        .where(table.connection_id.in_(ids), table.status.in_(BACKLOG_STATUSES))
        .group_by(table.connection_id, table.status)
    )
    out: dict[str, Backlog] = {conn_id: Backlog() for conn_id in ids}
    for conn_id, status, count in rows.all():
        setattr(out[conn_id], status, count)
    return out


async def describe(
    session: AsyncSession, connections: Sequence[Connection], connector_classes: dict[str, type]
) -> list[ConnectionOut]:
    """Each connection with its connector's kind and capabilities and its current health."""
    ids = [c.id for c in connections]
    states = {
        row.connection_id: row
        for row in await session.scalars(
            sa.select(ConnectionStateRow).where(ConnectionStateRow.connection_id.in_(ids))
        )
    }
    inbox = await _backlogs(session, InboxRow, ids)
    outbox = await _backlogs(session, OutboxRow, ids)
    described = []
    for connection in connections:
        cls = connector_classes[connection.connector]
        state = states.get(connection.id)
        health = ConnectionHealth(
            revoked=state is not None and state.revoked_at is not None,
            inbox=inbox[connection.id],
            outbox=outbox[connection.id],
        )
        if state is not None:
            health.revoked_at = state.revoked_at
            health.revoked_reason = state.revoked_reason
            health.last_success_at = state.last_success_at
            health.last_failure_at = state.last_failure_at
            health.last_error = state.last_error
        described.append(
            ConnectionOut(
                id=connection.id,
                connector=connection.connector,
                kind=cls.kind,
                title=connection.title,
                enabled=connection.enabled,
                capabilities=sorted(cls.capabilities),
                health=health,
            )
        )
    return described
