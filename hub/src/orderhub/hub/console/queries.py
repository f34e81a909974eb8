"""Read models the console's pages need and the API does not have: dashboard counts, late
orders, where an order's stock is reserved, the work waiting at a location.

Writes never happen here; every change goes through the hub's services.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import OrderStatus
from orderhub.hub.store.tables import (
    FulfillmentRow,
    InboxRow,
    ItemRow,
    LabelRow,
    LocationRow,
    OrderHistoryRow,
    OrderHoldRow,
    OrderRow,
    OutboxRow,
    ReservationRow,
    ShipmentRow,
    StockLevelRow,
)
from orderhub.hub.store.types import utcnow

OPEN_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.ON_HOLD,
    OrderStatus.ALLOCATED,
    OrderStatus.PARTIALLY_ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.RELEASED,
)
"""Not shipped yet: a promised date in the past makes these late."""
IN_TRANSIT_STATUSES = (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED)
_OPEN = {s.value for s in OPEN_STATUSES}
_IN_TRANSIT = {s.value for s in IN_TRANSIT_STATUSES}
LATE_DELIVERY = timedelta(days=14)
"""A shipped order still not delivered this long after it was placed is late."""
LOW_STOCK = 5
"""Available at or below this (and above zero) counts as low stock on the dashboard."""
RESERVED = ("active", "consumed")
"""Reservation statuses that tie an order to a location: reserved there, or shipped from it."""


def start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def late_condition(now: datetime) -> sa.ColumnElement[bool]:
    """Late: open past its promised date, or shipped and undelivered 14 days after ordering."""
    return sa.or_(
        sa.and_(
            OrderRow.promised_date < now.date(),
            OrderRow.status.in_(sorted(_OPEN)),
        ),
        sa.and_(
            OrderRow.status.in_(sorted(_IN_TRANSIT)),
            OrderRow.placed_at < now - LATE_DELIVERY,
        ),
    )


def late_reason(row: Any, now: datetime) -> str:
    """Why an order is late, in words, for the dashboard and the order page."""
    promised = row.promised_date
    if promised is not None and promised < now.date() and row.status in _OPEN:
        return f"promised for {row.promised_date:%d %b}, not shipped"
    if row.status in _IN_TRANSIT and row.placed_at < now - LATE_DELIVERY:
        days = (now - row.placed_at).days
        return f"shipped, not delivered {days} days after the order"
    return ""


def location_condition(codes: Sequence[str]) -> sa.ColumnElement[bool]:
    """Orders with stock reserved (or shipped) at one of these locations."""
    return OrderRow.id.in_(
        sa.select(ReservationRow.order_id)
        .join(LocationRow, LocationRow.id == ReservationRow.location_id)
        .where(LocationRow.code.in_(list(codes)), ReservationRow.status.in_(RESERVED))
    )


async def late_among(session: AsyncSession, order_ids: Sequence[str], now: datetime) -> set[str]:
    """Which of these orders are late."""
    if not order_ids:
        return set()
    rows = await session.scalars(
        sa.select(OrderRow.id).where(OrderRow.id.in_(list(order_ids)), late_condition(now))
    )
    return set(rows)


async def order_ids_by_tracking(session: AsyncSession, tracking: str) -> list[str]:
    """Orders whose shipment carries this tracking number: the shipments table (indexed),
    and the "shipped" history entries of orders shipped before it existed."""
    needle = tracking.strip()
    if len(needle) < 6 or "@" in needle or " " in needle or not any(c.isdigit() for c in needle):
        return []
    found = set(
        await session.scalars(
            sa.select(ShipmentRow.order_id).where(ShipmentRow.tracking_number == needle).limit(50)
        )
    )
    found |= set(
        await session.scalars(
            sa.select(OrderHistoryRow.order_id)
            .where(
                OrderHistoryRow.action == "shipped",
                OrderHistoryRow.detail["tracking_number"].as_string() == needle,
            )
            .limit(50)
        )
    )
    return sorted(found)


async def order_locations(session: AsyncSession, order_ids: Sequence[str]) -> dict[str, list[str]]:
    """The locations each order is reserved or shipped at."""
    if not order_ids:
        return {}
    rows = await session.execute(
        sa.select(ReservationRow.order_id, LocationRow.code)
        .join(LocationRow, LocationRow.id == ReservationRow.location_id)
        .where(ReservationRow.order_id.in_(list(order_ids)), ReservationRow.status.in_(RESERVED))
        .distinct()
    )
    out: dict[str, list[str]] = defaultdict(list)
    for order_id, code in rows.all():
        out[order_id].append(code)
    return {key: sorted(value) for key, value in out.items()}


# ----------------------------------------------------------------------------- order page


@dataclass
class Allocation:
    sku: str
    location: str
    quantity: int
    status: str
    line_id: str


@dataclass
class ShipmentView:
    at: datetime
    location: str | None
    carrier: str | None
    tracking_number: str | None
    method: str | None
    note: str | None


async def allocations(session: AsyncSession, order_id: str) -> list[Allocation]:
    rows = await session.execute(
        sa.select(ReservationRow, ItemRow.sku, LocationRow.code)
        .join(ItemRow, ItemRow.id == ReservationRow.item_id)
        .join(LocationRow, LocationRow.id == ReservationRow.location_id)
        .where(ReservationRow.order_id == order_id)
        .order_by(ReservationRow.id)
    )
    return [
        Allocation(sku=sku, location=code, quantity=r.quantity, status=r.status, line_id=r.line_id)
        for r, sku, code in rows.all()
    ]


async def shipments(session: AsyncSession, order_id: str) -> list[ShipmentView]:
    rows = await session.scalars(
        sa.select(OrderHistoryRow)
        .where(OrderHistoryRow.order_id == order_id, OrderHistoryRow.action == "shipped")
        .order_by(OrderHistoryRow.id)
    )
    out = []
    for row in rows:
        detail = row.detail or {}
        out.append(
            ShipmentView(
                at=row.at,
                location=detail.get("location"),
                carrier=detail.get("carrier"),
                tracking_number=detail.get("tracking_number"),
                method=detail.get("method"),
                note=row.reason,
            )
        )
    return out


async def order_row(session: AsyncSession, order_id: str) -> OrderRow | None:
    return await session.get(OrderRow, order_id)


# ------------------------------------------------------------------------------ dashboard


@dataclass
class Dashboard:
    today_total: int = 0
    today: dict[str, dict[str, int]] = field(default_factory=dict)
    """connection -> status -> orders placed today."""
    today_statuses: list[str] = field(default_factory=list)
    late_count: int = 0
    late: list[tuple[Any, str]] = field(default_factory=list)
    """(order row, why it is late), oldest first."""
    holds_by_reason: dict[str, int] = field(default_factory=dict)
    holds: list[tuple[Any, Any]] = field(default_factory=list)
    """(hold row, order row), oldest first."""
    stock_outs_count: int = 0
    stock_outs: list[Any] = field(default_factory=list)
    low_stock_count: int = 0
    low_stock: list[Any] = field(default_factory=list)
    dead_inbox: int = 0
    dead_outbox: int = 0


_AVAILABLE = StockLevelRow.on_hand - StockLevelRow.reserved - StockLevelRow.safety_stock


def _stock_query(condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(
            ItemRow.sku,
            ItemRow.name,
            LocationRow.code.label("location"),
            StockLevelRow.on_hand,
            StockLevelRow.reserved,
            StockLevelRow.incoming,
            _AVAILABLE.label("available"),
        )
        .join(ItemRow, ItemRow.id == StockLevelRow.item_id)
        .join(LocationRow, LocationRow.id == StockLevelRow.location_id)
        .where(condition, ItemRow.active.is_(True), LocationRow.active.is_(True))
    )


async def _count(session: AsyncSession, query: sa.Select[Any]) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


async def dashboard(
    session: AsyncSession, *, now: datetime | None = None, top: int = 8
) -> Dashboard:
    now = now or utcnow()
    out = Dashboard()
    today = await session.execute(
        sa.select(OrderRow.connection_id, OrderRow.status, sa.func.count())
        .where(OrderRow.placed_at >= start_of_day(now))
        .group_by(OrderRow.connection_id, OrderRow.status)
    )
    statuses: set[str] = set()
    for connection_id, status, count in today.all():
        out.today.setdefault(connection_id, {})[status] = count
        out.today_total += count
        statuses.add(status)
    order = [s.value for s in OrderStatus]
    out.today_statuses = sorted(statuses, key=order.index)
    out.today = dict(sorted(out.today.items()))

    late = sa.select(OrderRow).where(late_condition(now))
    out.late_count = await _count(session, late)
    rows = await session.scalars(
        late.order_by(
            sa.func.coalesce(OrderRow.promised_date, OrderRow.placed_at), OrderRow.id
        ).limit(top)
    )
    out.late = [(row, late_reason(row, now)) for row in rows]

    active = OrderHoldRow.released_at.is_(None)
    by_reason = await session.execute(
        sa.select(OrderHoldRow.reason, sa.func.count()).where(active).group_by(OrderHoldRow.reason)
    )
    out.holds_by_reason = dict(sorted(by_reason.all(), key=lambda pair: -pair[1]))
    held = await session.execute(
        sa.select(OrderHoldRow, OrderRow)
        .join(OrderRow, OrderRow.id == OrderHoldRow.order_id)
        .where(active)
        .order_by(OrderHoldRow.placed_at)
        .limit(top)
    )
    out.holds = [(hold, order) for hold, order in held.all()]

    outs = _stock_query(_AVAILABLE <= 0)
    out.stock_outs_count = await _count(session, outs)
    out.stock_outs = list(
        await session.execute(outs.order_by(_AVAILABLE, ItemRow.sku, LocationRow.code).limit(top))
    )
    low = _stock_query(sa.and_(_AVAILABLE > 0, _AVAILABLE <= LOW_STOCK))
    out.low_stock_count = await _count(session, low)
    out.low_stock = list(
        await session.execute(low.order_by(_AVAILABLE, ItemRow.sku, LocationRow.code).limit(top))
    )
    out.dead_inbox = (
        await session.scalar(sa.select(sa.func.count()).where(InboxRow.status == "dead")) or 0
    )
    out.dead_outbox = (
        await session.scalar(sa.select(sa.func.count()).where(OutboxRow.status == "dead")) or 0
    )
    return out


# ------------------------------------------------------------------------------ warehouse


@dataclass
class WorkLine:
    sku: str
    name: str
    quantity: int


@dataclass
class WorkOrder:
    order: Any
    lines: list[WorkLine]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass
class LocationWork:
    allocated: list[WorkOrder] = field(default_factory=list)
    """Reserved here and not released yet."""


async def location_work(
    session: AsyncSession, location_code: str, *, limit: int = 200
) -> LocationWork:
    """Orders with active reservations at a location that are not released yet."""
    rows = await session.execute(
        sa.select(OrderRow, ItemRow.sku, ItemRow.name, ReservationRow.quantity)
        .join(ReservationRow, ReservationRow.order_id == OrderRow.id)
        .join(LocationRow, LocationRow.id == ReservationRow.location_id)
        .join(ItemRow, ItemRow.id == ReservationRow.item_id)
        .where(
            LocationRow.code == location_code,
            ReservationRow.status == "active",
            OrderRow.status.in_(
                [OrderStatus.ALLOCATED.value, OrderStatus.PARTIALLY_ALLOCATED.value]
            ),
        )
        .order_by(OrderRow.placed_at, OrderRow.id, ItemRow.sku)
    )
    orders: dict[str, WorkOrder] = {}
    for order, sku, name, quantity in rows.all():
        work = orders.get(order.id)
        if work is None:
            if len(orders) >= limit:
                break
            work = orders[order.id] = WorkOrder(order=order, lines=[])
        for line in work.lines:
            if line.sku == sku:
                line.quantity += quantity
                break
        else:
            work.lines.append(WorkLine(sku=sku, name=name, quantity=quantity))
    return LocationWork(allocated=list(orders.values()))


@dataclass
class WaitingLabel:
    """A parcel's purchased label, not yet scanned by its carrier."""

    shipment_id: str
    order_id: str
    order_number: str
    position: int
    status: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    label_format: str
    purchased_at: datetime | None


NOT_HANDED_OVER = ("pre_transit",)
"""Tracking statuses that mean the carrier has not scanned the parcel yet (or none at all)."""


async def labels_waiting(
    session: AsyncSession, location_code: str, *, since: datetime, limit: int = 200
) -> list[WaitingLabel]:
    """Labels bought at a location since `since` whose parcels the carrier has not scanned
    yet, oldest first: what waits to be printed and handed over."""
    rows = await session.execute(
        sa.select(
            ShipmentRow.id,
            ShipmentRow.order_id,
            OrderRow.number,
            ShipmentRow.position,
            ShipmentRow.status,
            LabelRow.carrier,
            LabelRow.service,
            LabelRow.tracking_number,
            LabelRow.label_format,
            LabelRow.purchased_at,
        )
        .join(LabelRow, LabelRow.shipment_id == ShipmentRow.id)
        .join(FulfillmentRow, FulfillmentRow.id == ShipmentRow.fulfillment_id)
        .join(LocationRow, LocationRow.id == FulfillmentRow.location_id)
        .join(OrderRow, OrderRow.id == ShipmentRow.order_id)
        .where(
            LocationRow.code == location_code,
            LabelRow.status == "purchased",
            LabelRow.purchased_at >= since,
            ShipmentRow.status.in_(("labelled", "shipped")),
            sa.or_(
                ShipmentRow.tracking_status.is_(None),
                ShipmentRow.tracking_status.in_(NOT_HANDED_OVER),
            ),
        )
        .order_by(LabelRow.purchased_at, OrderRow.number, ShipmentRow.position)
        .limit(limit)
    )
    return [WaitingLabel(*row) for row in rows.all()]


# ---------------------------------------------------------------------------------- stock


async def item_page(
    session: AsyncSession, *, q: str | None, after: str | None, limit: int = 50
) -> tuple[list[ItemRow], str | None]:
    """Items in SKU order, keyset-paginated on the SKU, optionally matching `q`."""
    query = sa.select(ItemRow).order_by(ItemRow.sku).limit(limit + 1)
    if q:
        needle = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(ItemRow.sku).like(needle), sa.func.lower(ItemRow.name).like(needle)
            )
        )
    if after:
        query = query.where(ItemRow.sku > after)
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].sku if more and rows else None
