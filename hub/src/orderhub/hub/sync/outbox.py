"""Writing outbound effects to the outbox, in the transaction that decided them.

A row names the connector method to call (`operation`) and its payload. `idempotency_key`
makes a second write of the same business effect a no-op; `coalesce_key` lets a newer pending
row replace an older one (stock pushes: the latest number wins). The worker dispatches rows
after the commit; the sweeper picks up any row whose job Redis lost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from orderhub.hub.store.db import dialect_insert
from orderhub.hub.store.tables import OutboxRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import UnitOfWork

_COALESCE_TRIES = 3
"""A concurrent writer can insert the pending row between our update and our insert."""


def job_id(outbox_id: int, attempts: int) -> str:
    """The arq job id for one dispatch attempt of a row.

    It changes with every attempt, so a retry can be queued while the failed job still runs,
    and (with results not kept) the same attempt can be queued again once Redis lost it.
    """
    return f"outbox:{outbox_id}:{attempts}"


async def _key_written(session: UnitOfWork, connection_id: str, idempotency_key: str) -> bool:
    found = await session.scalar(
        sa.select(OutboxRow.id).where(
            OutboxRow.connection_id == connection_id,
            OutboxRow.idempotency_key == idempotency_key,
        )
    )
    return found is not None


async def _replace_pending(
    session: UnitOfWork,
    *,
    connection_id: str,
    coalesce_key: str,
    payload: dict[str, Any],
    idempotency_key: str,
) -> tuple[int, int] | None:
    table = OutboxRow.__table__
    updated = await session.execute(
        sa.update(table)
        .where(
            table.c.connection_id == connection_id,
            table.c.coalesce_key == coalesce_key,
            table.c.status == "pending",
        )
        # next_attempt_at stays: a row waiting out a provider's Retry-After keeps waiting.
        .values(payload=payload, idempotency_key=idempotency_key)
        .returning(table.c.id, table.c.attempts)
    )
    row = updated.first()
    return (row.id, row.attempts) if row is not None else None


async def enqueue(
    session: UnitOfWork,
    *,
    connection_id: str,
    operation: str,
    payload: dict[str, Any],
    idempotency_key: str,
    coalesce_key: str | None = None,
) -> int | None:
    """Record an effect to send. Returns the row id, or None when the key was already written.

    With `coalesce_key`, a pending row with the same key is updated in place instead.
    """
    if coalesce_key is not None and await _key_written(session, connection_id, idempotency_key):
        return None
    for _ in range(_COALESCE_TRIES):
        if coalesce_key is not None:
            replaced = await _replace_pending(
                session,
                connection_id=connection_id,
                coalesce_key=coalesce_key,
                payload=payload,
                idempotency_key=idempotency_key,
            )
            if replaced is not None:
                session.queue_dispatch(*replaced)
                return replaced[0]
        now = utcnow()
        result = await session.execute(
            dialect_insert(session)(OutboxRow)
            .values(
                connection_id=connection_id,
                operation=operation,
                idempotency_key=idempotency_key,
                coalesce_key=coalesce_key,
                payload=payload,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing()
            .returning(OutboxRow.id)
        )
        row_id = result.scalar()
        if row_id is not None:
            session.queue_dispatch(row_id)
            return row_id
        # A conflict: either the idempotency key exists (a duplicate), or another transaction
        # just committed a pending row with our coalesce key, which we replace on the next turn.
        if coalesce_key is None or await _key_written(session, connection_id, idempotency_key):
            return None
    raise RuntimeError(f"outbox row for {connection_id}/{coalesce_key} kept changing under us")
