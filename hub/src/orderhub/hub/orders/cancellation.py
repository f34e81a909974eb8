"""Cancelling an order for a person (API or console): the order service cancels it, and the
channel is told through the outbox in the same transaction when its connector can take it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import CancellationNotice, Capability
from orderhub.core.model import Actor, Order, OrderStatus
from orderhub.hub.errors import Conflict
from orderhub.hub.orders import service
from orderhub.hub.sync import outbox

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub


async def cancel_and_notify(
    hub: Hub, session: AsyncSession, order_id: str, *, actor: Actor, reason: str
) -> Order:
    """409 `illegal_transition` when already cancelled or past cancelling (shipped)."""
    row = await service.get_order_row(session, order_id, for_update=True)
    if row.status == OrderStatus.CANCELLED.value:
        raise Conflict(
            "order is already cancelled",
            code="illegal_transition",
            current=row.status,
            target=OrderStatus.CANCELLED.value,
        )
    order = await service.cancel_order(session, order_id, actor=actor, reason=reason)
    if hub.supports(order.connection, Capability.PUSH_CANCELLATION):
        notice = CancellationNotice(order_external_id=order.external_id, reason=reason)
        await outbox.enqueue(
            session,
            connection_id=order.connection,
            operation="push_cancellation",
            payload=msgspec.to_builtins(notice),
            idempotency_key=f"cancel:{order_id}",
        )
    return order
