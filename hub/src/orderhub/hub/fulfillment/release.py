"""Fulfillment groups: planned from an order's reservations, released to their location by rule.

A group is the part of an order one location fulfils. Every active reservation of an order
that no open group covers yet becomes a `planned` group at its location (one per location
per planning). A planned group is released when its rule says so — at once, when the order
is paid, or at the next wave time after it was planned (see `waves`) — and the order moves
to RELEASED. A group at a 3PL location is sent to the WMS connection that maps the location,
through the outbox (`send_fulfillment_order`): the WMS picks and ships, nothing else here
treats 3PLs differently.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.connectors import Capability
from orderhub.core.model import (
    Actor,
    Address,
    FinancialStatus,
    FulfillmentMethod,
    LocationKind,
    OrderStatus,
    PickSchedule,
    ShippingLine,
)
from orderhub.hub.errors import Conflict
from orderhub.hub.fulfillment.records import (
    OPEN_GROUP,
    get_fulfillment_row,
    group_lines,
    location_of,
)
from orderhub.hub.fulfillment.schemas import WmsFulfillmentLine, WmsFulfillmentOrder
from orderhub.hub.fulfillment.waves import is_due
from orderhub.hub.ids import new_id
from orderhub.hub.orders import service as orders
from orderhub.hub.runtime import Hub
from orderhub.hub.store.tables import (
    FulfillmentLineRow,
    FulfillmentRow,
    ItemRow,
    LocationRow,
    OrderLineRow,
    OrderRow,
    ReservationRow,
)
from orderhub.hub.store.types import utcnow
from orderhub.hub.sync import outbox

RELEASABLE = frozenset(
    {
        OrderStatus.ALLOCATED,
        OrderStatus.PARTIALLY_ALLOCATED,
        OrderStatus.RELEASED,
        OrderStatus.PARTIALLY_SHIPPED,
    }
)
"""Order statuses whose reservations may be planned and released (never on hold)."""
SEND_FULFILLMENT_ORDER = "send_fulfillment_order"


# -------------------------------------------------------------------------------- planning


async def plan_groups(session: AsyncSession, order: OrderRow) -> list[FulfillmentRow]:
    """Bring the order's planned groups in line with its reservations; returns them.

    Units reserved at a location and not yet in a released group belong to the planned
    group there (one per location, made when first needed, removed when it has nothing
    left). A planned group keeps its `planned_at`, which wave rules count from.
    """
    reserved = (
        await session.execute(
            sa.select(
                ReservationRow.line_id,
                ReservationRow.location_id,
                ReservationRow.item_id,
                ItemRow.sku,
                sa.func.sum(ReservationRow.quantity),
            )
            .join(ItemRow, ItemRow.id == ReservationRow.item_id)
            .where(ReservationRow.order_id == order.id, ReservationRow.status == "active")
            .group_by(
                ReservationRow.line_id,
                ReservationRow.location_id,
                ReservationRow.item_id,
                ItemRow.sku,
            )
        )
    ).all()
    committed: dict[tuple[str, int], int] = {
        (line_id, location_id): int(total)
        for line_id, location_id, total in (
            await session.execute(
                sa.select(
                    FulfillmentLineRow.line_id,
                    FulfillmentRow.location_id,
                    sa.func.sum(FulfillmentLineRow.quantity),
                )
                .join(FulfillmentRow, FulfillmentRow.id == FulfillmentLineRow.fulfillment_id)
                .where(
                    FulfillmentRow.order_id == order.id,
                    FulfillmentRow.status.in_([s for s in OPEN_GROUP if s != "planned"]),
                )
                .group_by(FulfillmentLineRow.line_id, FulfillmentRow.location_id)
            )
        ).all()
    }
    wanted: dict[int, dict[str, tuple[int, str, int]]] = defaultdict(dict)
    for line_id, location_id, item_id, sku, total in reserved:
        units = int(total) - committed.get((line_id, location_id), 0)
        if units > 0:
            wanted[location_id][line_id] = (item_id, sku, units)
    existing = {
        group.location_id: group
        for group in await session.scalars(
            sa.select(FulfillmentRow).where(
                FulfillmentRow.order_id == order.id, FulfillmentRow.status == "planned"
            )
        )
    }
    planned = []
    for location_id in sorted(set(wanted) | set(existing)):
        group = existing.get(location_id)
        lines = wanted.get(location_id, {})
        if group is not None and not lines:
            await session.delete(group)
            continue
        if group is None:
            location = await session.get(LocationRow, location_id)
            assert location is not None
            group = FulfillmentRow(
                id=new_id("ful"),
                order_id=order.id,
                location_id=location_id,
                method=_method(order, location).value,
                status="planned",
                planned_at=utcnow(),
            )
            session.add(group)
            await session.flush()
        current = {line.line_id: line for line in await group_lines(session, group.id)}
        for line_id, line in current.items():
            if line_id not in lines:
                await session.delete(line)
        if {k: v.quantity for k, v in current.items()} != {k: v[2] for k, v in lines.items()}:
            group.updated_at = utcnow()  # the release job's "newer reservation" test reads it
        for line_id, (item_id, sku, units) in sorted(lines.items()):
            if line_id in current:
                current[line_id].quantity = units
            else:
                session.add(
                    FulfillmentLineRow(
                        fulfillment_id=group.id,
                        line_id=line_id,
                        item_id=item_id,
                        sku=sku,
                        quantity=units,
                        quantity_short=0,
                    )
                )
        planned.append(group)
    await session.flush()
    return planned


def _method(order: OrderRow, location: LocationRow) -> FulfillmentMethod:
    if order.pickup_location == location.code:
        return FulfillmentMethod.PICKUP
    if location.kind == LocationKind.SUPPLIER.value:
        return FulfillmentMethod.DROP_SHIP
    return FulfillmentMethod.SHIP


# -------------------------------------------------------------------------------- release


def _zone(rule_zone: str | None, location: LocationRow) -> ZoneInfo:
    schedule = msgspec.convert(location.schedule or {}, PickSchedule)
    for name in (rule_zone, schedule.timezone, "UTC"):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


async def release_due(
    session: AsyncSession, hub: Hub, order_id: str, *, actor: Actor, now: datetime | None = None
) -> list[str]:
    """Plan what is newly reserved and release every planned group whose rule says so now.
    Returns the ids of the groups released. Orders on hold or not allocated are left alone."""
    order = await orders.get_order_row(session, order_id, for_update=True)
    if OrderStatus(order.status) not in RELEASABLE:
        return []
    await plan_groups(session, order)
    now = now or utcnow()
    groups = list(
        await session.scalars(
            sa.select(FulfillmentRow)
            .where(FulfillmentRow.order_id == order.id, FulfillmentRow.status == "planned")
            .order_by(FulfillmentRow.id)
        )
    )
    released = []
    for group in groups:
        location = await location_of(session, group)
        rule = hub.settings.fulfillment.release.rule_for(order.connection_id, location.code)
        due, why = is_due(
            rule,
            financial_status=FinancialStatus(order.financial_status),
            planned_at=group.planned_at,
            now=now,
            zone=_zone(rule.timezone, location),
        )
        if due:
            await release_group(
                session, hub, order, group, location, rule=rule.mode, why=why, actor=actor
            )
            released.append(group.id)
    return released


async def release_by_operator(
    session: AsyncSession, hub: Hub, fulfillment_id: str, *, actor: Actor
) -> FulfillmentRow:
    """Release one planned group now, whatever its rule (409 unless it is planned and its
    order may be released)."""
    group = await get_fulfillment_row(session, fulfillment_id, for_update=True)
    order = await orders.get_order_row(session, group.order_id, for_update=True)
    if group.status != "planned":
        raise Conflict(
            f"fulfillment {group.id} is {group.status}; only a planned one is released",
            code="not_planned",
            status=group.status,
        )
    if OrderStatus(order.status) not in RELEASABLE:
        raise Conflict(
            f"order {order.number} is {order.status}; it cannot be released",
            code="order_not_releasable",
            status=order.status,
        )
    location = await location_of(session, group)
    await release_group(
        session,
        hub,
        order,
        group,
        location,
        rule="operator",
        why="released by an operator",
        actor=actor,
    )
    return group


async def release_group(
    session: AsyncSession,
    hub: Hub,
    order: OrderRow,
    group: FulfillmentRow,
    location: LocationRow,
    *,
    rule: str,
    why: str,
    actor: Actor,
) -> None:
    group.status = "released"
    group.released_at = utcnow()
    group.release_rule = rule
    if OrderStatus(order.status) in (OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED):
        await orders.change_status(session, order, OrderStatus.RELEASED, actor, reason=why)
    detail = {"fulfillment_id": group.id, "location": location.code, "rule": rule}
    if location.kind == LocationKind.THREE_PL.value:
        detail["wms"] = await _send_to_wms(session, hub, order, group, location)
    await orders.record(session, order, actor, "fulfillment_released", detail, why)
    await session.flush()


def wms_for(hub: Hub, location_code: str) -> tuple[str, str] | None:
    """The first connection (by id) that takes fulfillment orders and maps the location:
    (connection id, its id for the location)."""
    for conn_id in sorted(hub.connections):
        if not hub.supports(conn_id, Capability.SEND_FULFILLMENT_ORDERS):
            continue
        for ref, code in hub.connections[conn_id].locations.items():
            if code == location_code:
                return conn_id, ref
    return None


async def _send_to_wms(
    session: AsyncSession, hub: Hub, order: OrderRow, group: FulfillmentRow, location: LocationRow
) -> str | None:
    """Queue the group for its 3PL. Returns the connection, or None when none maps the
    location (the group then waits, released, for an operator; the history says so)."""
    target = wms_for(hub, location.code)
    if target is None:
        return None
    conn_id, location_ref = target
    names = dict(
        (
            await session.execute(
                sa.select(OrderLineRow.id, OrderLineRow.name).where(
                    OrderLineRow.order_id == order.id
                )
            )
        ).all()
    )
    shipping = msgspec.convert(order.shipping_lines or [], list[ShippingLine])
    payload = WmsFulfillmentOrder(
        reference=group.id,
        order_id=order.id,
        order_number=order.number,
        location=location.code,
        location_ref=location_ref,
        ship_to=msgspec.convert(order.shipping_address, Address)
        if order.shipping_address
        else None,
        service_level=shipping[0].code if shipping else None,
        promised_date=order.promised_date,
        lines=[
            WmsFulfillmentLine(
                line_id=line.line_id, sku=line.sku, name=names[line.line_id], quantity=line.quantity
            )
            for line in await group_lines(session, group.id)
        ],
    )
    await outbox.enqueue(
        session,
        connection_id=conn_id,
        operation=SEND_FULFILLMENT_ORDER,
        payload=msgspec.to_builtins(payload),
        idempotency_key=f"fulfillment:{group.id}",
    )
    return conn_id


# ----------------------------------------------------------------------------- the job


async def orders_to_consider(session: AsyncSession, *, limit: int) -> list[str]:
    """Orders that may have something to plan or release: allocated and not yet released,
    with a planned group, or with a reservation newer than every change of their groups at
    its location (stock reserved for a released order, e.g. a backorder filled)."""
    newer_reservation = (
        sa.select(ReservationRow.id)
        .where(
            ReservationRow.order_id == OrderRow.id,
            ReservationRow.status == "active",
            ~sa.exists().where(
                FulfillmentRow.order_id == OrderRow.id,
                FulfillmentRow.location_id == ReservationRow.location_id,
                FulfillmentRow.updated_at >= ReservationRow.created_at,
            ),
        )
        .exists()
    )
    planned = (
        sa.select(FulfillmentRow.id)
        .where(FulfillmentRow.order_id == OrderRow.id, FulfillmentRow.status == "planned")
        .exists()
    )
    query = (
        sa.select(OrderRow.id)
        .where(
            OrderRow.status.in_([status.value for status in RELEASABLE]),
            sa.or_(
                OrderRow.status.in_(
                    [OrderStatus.ALLOCATED.value, OrderStatus.PARTIALLY_ALLOCATED.value]
                ),
                planned,
                newer_reservation,
            ),
        )
        .order_by(OrderRow.id)
        .limit(limit)
    )
    return list(await session.scalars(query))
