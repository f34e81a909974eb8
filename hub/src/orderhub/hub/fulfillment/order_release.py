"""An operator hands a whole allocated order to fulfillment now (`POST /orders/{id}/release`).

The fulfillment module owns what release means (groups per location planned from the
reservations, a 3PL's group sent to its WMS, the order moving to RELEASED); this is the
order-level button over it, whatever the channel's release rule would wait for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Actor, Order, OrderStatus
from orderhub.hub.errors import Conflict
from orderhub.hub.fulfillment.release import plan_groups, release_group
from orderhub.hub.orders import aggregate
from orderhub.hub.store.tables import LocationRow

if TYPE_CHECKING:
    from orderhub.hub.runtime import Hub

RELEASABLE = (OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED)


async def release_order(hub: Hub, session: AsyncSession, order_id: str, *, actor: Actor) -> Order:
    """Release every planned group of the order (409 unless allocated and not on hold)."""
    rows = await aggregate.lock_order(session, order_id)
    status = OrderStatus(rows.row.status)
    if status not in RELEASABLE or rows.active_holds:
        raise Conflict(
            f"order {rows.row.number} is {status.value}: only an allocated order without holds "
            "is released to fulfillment",
            code="order_not_releasable",
            status=status.value,
        )
    for group in await plan_groups(session, rows.row):
        if group.status != "planned":
            continue
        location = await session.get(LocationRow, group.location_id)
        assert location is not None
        await release_group(
            session,
            hub,
            rows.row,
            group,
            location,
            rule="operator",
            why="the whole order released by an operator",
            actor=actor,
        )
    return rows.order()
