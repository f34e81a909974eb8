"""Shipping a packed group: rates where none is chosen, a label per parcel, then — once every
parcel has its label — one transaction that ships it.

That transaction consumes the group's reservations (on hand and reserved go down; the stock
services mark the rows, so availability pushes are queued at commit like every stock
change), counts the units as shipped on the order lines, moves the group, its shipments and
the order (PARTIALLY_SHIPPED while other groups wait, SHIPPED when all is gone, through
`orderhub.core.lifecycle`), and writes one ``push_fulfillment`` outbox row per parcel for
the order's channel when its connector takes fulfillments (`FulfillmentNotice`, idempotency
key ``fulfillment:<shipment id>``).
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core import lifecycle
from orderhub.core.connectors import Capability
from orderhub.core.model import Actor, MovementKind, OrderStatus, TrackingStatus
from orderhub.hub.errors import Conflict
from orderhub.hub.fulfillment.labels import buy_label
from orderhub.hub.fulfillment.notices import fulfillment_notice
from orderhub.hub.fulfillment.rateshop import shipping_of, shop_rates
from orderhub.hub.fulfillment.records import (
    get_fulfillment_row,
    group_lines,
    group_shipments,
    location_of,
)
from orderhub.hub.fulfillment.tracking import settle_delivery, shipment_changed
from orderhub.hub.orders import service as orders
from orderhub.hub.orders.aggregate import OrderRows, lock_order
from orderhub.hub.orders.mapping import line_from_row
from orderhub.hub.runtime import Hub
from orderhub.hub.stock import service as stock
from orderhub.hub.stock.reservations import consume
from orderhub.hub.store.tables import FulfillmentRow, ShipmentRow, StockLevelRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import outbox

PUSH_FULFILLMENT = "push_fulfillment"


async def ship(hub: Hub, fulfillment_id: str, *, actor: Actor) -> None:
    """Rate, buy labels and ship a packed group. Calls to carriers happen between short
    transactions, never inside one. A carrier refusal stops here (the parcel is flagged and
    the group stays packed) with the carrier's message in the 409."""
    async with hub.read() as session:
        group = await get_fulfillment_row(session, fulfillment_id)
    if group.status == "shipped":
        raise Conflict(f"fulfillment {group.id} has shipped already", code="already_shipped")
    async with hub.read() as session:
        shipping = await shipping_of(session, hub, fulfillment_id)
    if not shipping.shipments:
        raise Conflict(f"fulfillment {fulfillment_id} has no parcels", code="not_packed")
    if any(s.status == "packed" and s.rate is None for s in shipping.shipments):
        await shop_rates(hub, fulfillment_id, actor=actor)
        async with hub.read() as session:
            shipping = await shipping_of(session, hub, fulfillment_id)
    for shipment in shipping.shipments:
        if shipment.status == "packed":
            await buy_label(hub, shipping, shipment.id, actor=actor)
    async with hub.transaction() as session:
        await mark_shipped(session, hub, fulfillment_id, actor=actor)


async def _consume(
    session: AsyncSession, rows: OrderRows, group: FulfillmentRow, location_code: str, actor: Actor
) -> dict[str, int]:
    """Take the picked units off the location: from the line's reservation, and from on hand
    directly for any unit no reservation covers any more. Returns line id -> units."""
    shipped: dict[str, int] = {}
    for line in await group_lines(session, group.id):
        units = line.quantity_picked or 0
        if units <= 0:
            continue
        consumed = await consume(session, rows.id, line.line_id, group.location_id, units)
        rest = units - consumed
        if rest:
            on_hand = await session.scalar(
                sa.select(StockLevelRow.on_hand).where(
                    StockLevelRow.item_id == line.item_id,
                    StockLevelRow.location_id == group.location_id,
                )
            )
            if on_hand:
                await stock.adjust(
                    session,
                    line.sku,
                    location_code,
                    -min(rest, on_hand),
                    kind=MovementKind.SHIPMENT,
                    reason="shipped without a reservation",
                    reference=group.id,
                    actor=str(actor),
                )
        order_line = rows.line(line.line_id)
        order_line.quantity_shipped += units
        order_line.quantity_allocated = max(0, order_line.quantity_allocated - consumed)
        shipped[line.line_id] = units
    return shipped


async def mark_shipped(
    session: AsyncSession, hub: Hub, fulfillment_id: str, *, actor: Actor
) -> None:
    group = await get_fulfillment_row(session, fulfillment_id)
    rows = await lock_order(session, group.order_id)  # the order before any stock row
    group = await get_fulfillment_row(session, fulfillment_id, for_update=True)
    if group.status != "packed":
        raise Conflict(
            f"fulfillment {group.id} is {group.status}; only a packed group ships",
            code="not_packed",
            status=group.status,
        )
    if rows.row.status == OrderStatus.CANCELLED.value:
        raise Conflict(f"order {rows.row.number} is cancelled", code="order_cancelled")
    shipments = await group_shipments(session, group.id, for_update=True)
    waiting = [s.id for s in shipments if s.status != "labelled"]
    if not shipments or waiting:
        raise Conflict(
            f"every parcel needs its label before the group ships; waiting: {', '.join(waiting)}",
            code="labels_missing",
            shipments=waiting,
        )
    location = await location_of(session, group)
    shipped = await _consume(session, rows, group, location.code, actor)
    now = utcnow()
    group.status = "shipped"
    group.shipped_at = now
    for shipment in shipments:
        shipment.status = "shipped"
        shipment.shipped_at = now
        if shipment.tracking_status is None:
            shipment.tracking_status = TrackingStatus.PRE_TRANSIT.value
            shipment.tracking_raw_status = "label_created"
    order = rows.row
    await orders.record(
        session,
        order,
        actor,
        "shipped",
        {
            "fulfillment_id": group.id,
            "location": location.code,
            "lines": shipped,
            "shipments": [
                {
                    "id": s.id,
                    "carrier": s.carrier,
                    "service": s.service,
                    "tracking_number": s.tracking_number,
                }
                for s in shipments
            ],
        },
    )
    target = lifecycle.settle_status(
        OrderStatus(order.status), [line_from_row(line, order.currency) for line in rows.lines]
    )
    await orders.change_status(session, order, target, actor, reason="a fulfillment shipped")
    await _tell_channel(session, hub, rows, shipments)
    for shipment in shipments:
        shipment_changed(session, shipment)
    await session.flush()
    await settle_delivery(session, order, actor=actor)


async def _tell_channel(
    session: AsyncSession, hub: Hub, rows: OrderRows, shipments: list[ShipmentRow]
) -> None:
    """One ship confirmation per parcel, for channels whose connector takes them."""
    order = rows.row
    if not hub.supports(order.connection_id, Capability.PUSH_FULFILLMENT):
        return
    external = {line.id: line.external_id for line in rows.lines}
    for shipment in shipments:
        notice = fulfillment_notice(order, external, shipment)
        await outbox.enqueue(
            session,
            connection_id=order.connection_id,
            operation=PUSH_FULFILLMENT,
            payload=msgspec.to_builtins(notice),
            idempotency_key=f"fulfillment:{shipment.id}",
        )
