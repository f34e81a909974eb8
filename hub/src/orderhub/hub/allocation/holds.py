"""Holds: listing the ones that stop orders, placing one by hand, clearing one.

Clearing a hold records who cleared it and why (stored as `released_at`, `released_by`,
`release_note`, the words clients see). When the order's last hold is cleared, the order
goes back to pending and is allocated with the stock there is now (a held order reserves
nothing new while it waits). Checks do not run again when a hold is cleared: clearing is an
operator's decision about that reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core import lifecycle
from orderhub.core.model import Actor, HoldReason, Order, OrderStatus
from orderhub.hub.allocation import engine
from orderhub.hub.errors import Conflict, NotFound
from orderhub.hub.orders import aggregate, service
from orderhub.hub.store.tables import OrderHoldRow, OrderRow
from orderhub.hub.store.types import utcnow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub


class ActiveHold(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    order_number: str
    connection: str
    order_status: OrderStatus
    reason: HoldReason
    detail: str
    source: str
    """The check ("preprocess.address"), routing, or the person who placed it."""
    placed_at: datetime


async def list_holds(
    session: AsyncSession,
    *,
    reason: HoldReason | None = None,
    connection: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> list[ActiveHold]:
    """Holds not yet released, oldest first (by hold id, which grows with time)."""
    query = (
        sa.select(OrderHoldRow, OrderRow.number, OrderRow.connection_id, OrderRow.status)
        .join(OrderRow, OrderRow.id == OrderHoldRow.order_id)
        .where(OrderHoldRow.released_at.is_(None))
        .order_by(OrderHoldRow.id)
        .limit(limit)
    )
    if reason is not None:
        query = query.where(OrderHoldRow.reason == reason.value)
    if connection is not None:
        query = query.where(OrderRow.connection_id == connection)
    if after is not None:
        query = query.where(OrderHoldRow.id > after)
    return [
        ActiveHold(
            id=hold.id,
            order_id=hold.order_id,
            order_number=number,
            connection=conn,
            order_status=OrderStatus(status),
            reason=HoldReason(hold.reason),
            detail=hold.detail,
            source=hold.source,
            placed_at=hold.placed_at,
        )
        for hold, number, conn, status in (await session.execute(query)).all()
    ]


async def place_manual_hold(
    session: AsyncSession, order_id: str, *, actor: Actor, detail: str
) -> Order:
    """An operator stops an order before release. Its reservations stay while it waits."""
    rows = await aggregate.lock_order(session, order_id)
    status = OrderStatus(rows.row.status)
    if not lifecycle.is_editable(status):
        raise Conflict(
            f"order {rows.row.number} is {status.value}: it can only be held before release",
            code="order_not_editable",
            status=status.value,
        )
    await aggregate.hold_order(
        session, rows, HoldReason.MANUAL, detail, source=str(actor), actor=actor
    )
    return rows.order()


async def clear_hold(
    hub: Hub, session: AsyncSession, order_id: str, hold_id: str, *, actor: Actor, note: str
) -> Order:
    """Clear one hold (404 if the order has no such hold, 409 if already cleared); with no
    hold left, allocate the order."""
    rows = await aggregate.lock_order(session, order_id)
    hold = next((h for h in rows.holds if h.id == hold_id), None)
    if hold is None:
        raise NotFound(
            f"order {rows.row.number} has no hold {hold_id!r}",
            code="unknown_hold",
            order_id=order_id,
            hold_id=hold_id,
        )
    if hold.released_at is not None:
        raise Conflict(
            f"hold {hold_id} was already released by {hold.released_by}",
            code="hold_already_released",
            released_at=hold.released_at.isoformat(),
            released_by=hold.released_by,
        )
    hold.released_at = utcnow()
    hold.released_by = str(actor)
    hold.release_note = note
    await service.record(
        session,
        rows.row,
        actor,
        "hold_released",
        {"hold_id": hold.id, "reason": hold.reason, "source": hold.source},
        note,
    )
    if rows.active_holds or rows.row.status != OrderStatus.ON_HOLD.value:
        return rows.order()
    await service.change_status(
        session, rows.row, OrderStatus.PENDING, actor, reason="every hold released", bump=False
    )
    await engine.allocate(hub, session, rows, cause="hold_released", actor=actor)
    return rows.order()
