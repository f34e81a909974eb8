"""Reading the inbox and outbox for operators: newest first, keyset-paginated by id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.hub.errors import InvalidInput, NotFound
from orderhub.hub.store.tables import InboxRow, OutboxRow
from orderhub.hub.sync.schemas import (
    InboxEvent,
    InboxStatus,
    InboxSummary,
    OutboxEntry,
    OutboxStatus,
    OutboxSummary,
)


def decode_cursor(cursor: str) -> int:
    if not cursor.isdigit() or int(cursor) <= 0:
        raise InvalidInput("cursor is not one this API returned", code="invalid_cursor")
    return int(cursor)


async def _page(
    session: AsyncSession,
    model: Any,
    *,
    status: str | None,
    connection: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    query = sa.select(model).order_by(model.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(model.id < decode_cursor(cursor))
    if status:
        query = query.where(model.status == status)
    if connection:
        query = query.where(model.connection_id == connection)
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, str(rows[-1].id) if more and rows else None


def _inbox_fields(row: InboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "connection": row.connection_id,
        "event_id": row.event_id,
        "topic": row.topic,
        "status": InboxStatus(row.status),
        "attempts": row.attempts,
        "received_at": row.received_at,
        "next_attempt_at": row.next_attempt_at,
        "processed_at": row.processed_at,
        "last_error": row.last_error,
    }


def _outbox_fields(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "connection": row.connection_id,
        "operation": row.operation,
        "status": OutboxStatus(row.status),
        "attempts": row.attempts,
        "idempotency_key": row.idempotency_key,
        "coalesce_key": row.coalesce_key,
        "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at,
        "processed_at": row.processed_at,
        "last_error": row.last_error,
    }


async def list_inbox(
    session: AsyncSession,
    *,
    status: InboxStatus | None = None,
    connection: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[InboxSummary], str | None]:
    rows, next_cursor = await _page(
        session, InboxRow, status=status, connection=connection, limit=limit, cursor=cursor
    )
    return [InboxSummary(**_inbox_fields(row)) for row in rows], next_cursor


async def get_inbox(session: AsyncSession, inbox_id: int) -> InboxEvent:
    row = await session.get(InboxRow, inbox_id)
    if row is None:
        raise NotFound(f"no inbox event {inbox_id}", code="unknown_inbox_event", id=inbox_id)
    return InboxEvent(
        **_inbox_fields(row),
        claimed_at=row.claimed_at,
        headers=dict(row.headers or {}),
        body=row.body.decode("utf-8", errors="replace"),
        body_bytes=len(row.body),
    )


async def list_outbox(
    session: AsyncSession,
    *,
    status: OutboxStatus | None = None,
    connection: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[OutboxSummary], str | None]:
    rows, next_cursor = await _page(
        session, OutboxRow, status=status, connection=connection, limit=limit, cursor=cursor
    )
    return [OutboxSummary(**_outbox_fields(row)) for row in rows], next_cursor


async def get_outbox(session: AsyncSession, outbox_id: int) -> OutboxEntry:
    row = await session.get(OutboxRow, outbox_id)
    if row is None:
        raise NotFound(f"no outbox row {outbox_id}", code="unknown_outbox_row", id=outbox_id)
    return OutboxEntry(
        **_outbox_fields(row),
        claimed_at=row.claimed_at,
        payload=dict(row.payload or {}),
        result=row.result,
    )
