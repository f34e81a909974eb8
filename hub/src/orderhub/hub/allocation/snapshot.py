"""What routing and the checks read about stock, in a few queries per order.

A `Snapshot` holds, for the SKUs of one order and the locations feeding its channel: the
active locations, each (SKU, location) level, the incoming lots not yet promised to a
preorder, and how many orders each location with a daily capacity took today.

Re-allocating one order reads it without locks: the reservations that follow are conditional
updates, and a refused one makes the engine read a fresh snapshot and plan again. Intake,
which routes many orders at once, locks the stock rows first (`lock_levels`) and routes them
all against one exact snapshot.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orderhub.core.model import Location
from orderhub.core.routing import Candidate, IncomingLot
from orderhub.hub.allocation.policy import ChannelPolicy
from orderhub.hub.config.allocation import AllocationSettings
from orderhub.hub.locations.service import location_from_row
from orderhub.hub.store.tables import (
    IncomingStockRow,
    ItemRow,
    LocationRow,
    ReservationRow,
    StockLevelRow,
)
from orderhub.hub.store.types import utcnow

LEVELS = StockLevelRow.__table__
INCOMING = IncomingStockRow.__table__


@dataclass(frozen=True)
class Lot:
    """An open incoming lot with the units still free for preorders."""

    id: int
    sku: str
    location: str
    free: int
    expected_on: date
    reference: str


@dataclass
class Snapshot:
    locations: dict[str, Location]
    """Active locations feeding the channel, by code."""
    location_ids: dict[str, int]
    item_ids: dict[str, int]
    """SKU -> item id for the SKUs that exist."""
    available: dict[tuple[str, str], int]
    """(SKU, location) -> units available now (on hand - reserved - safety stock)."""
    lots: list[Lot] = field(default_factory=list)
    orders_today: dict[str, int] = field(default_factory=dict)
    """Location code -> orders allocated there today (only locations with a capacity)."""

    def candidates(self, currency: str, settings: AllocationSettings) -> list[Candidate]:
        out = []
        for code, location in self.locations.items():
            available = {sku: qty for (sku, loc), qty in self.available.items() if loc == code}
            incoming = [
                IncomingLot(
                    sku=lot.sku,
                    quantity=lot.free,
                    expected_on=lot.expected_on,
                    reference=lot.reference,
                )
                for lot in self.lots
                if lot.location == code and lot.free > 0
            ]
            out.append(
                Candidate.from_location(
                    location,
                    available=available,
                    incoming=incoming,
                    orders_today=self.orders_today.get(code, 0),
                    cost=settings.shipping_cost(code, currency),
                )
            )
        return out

    def pooled_available(self) -> dict[str, int]:
        """SKU -> units available over every feeding location."""
        pooled: dict[str, int] = {}
        for (sku, code), qty in self.available.items():
            if code in self.locations:
                pooled[sku] = pooled.get(sku, 0) + max(0, qty)
        return pooled

    def pooled_incoming(self) -> dict[str, int]:
        pooled: dict[str, int] = {}
        for lot in self.lots:
            if lot.location in self.locations:
                pooled[lot.sku] = pooled.get(lot.sku, 0) + max(0, lot.free)
        return pooled

    def view(self, policy: ChannelPolicy) -> Snapshot:
        """The part of a snapshot of every location that feeds `policy`'s channel. The stock
        numbers are shared, not copied: what `take` removes through one view, every view of
        the same snapshot sees (orders of several channels routed one after the other)."""
        codes = [code for code in self.locations if policy.fed_by(code)]
        return Snapshot(
            locations={code: self.locations[code] for code in codes},
            location_ids={code: self.location_ids[code] for code in codes},
            item_ids=self.item_ids,
            available=self.available,
            lots=self.lots,
            orders_today=self.orders_today,
        )

    def take(self, sku: str, location: str, units: int, *, new_order: bool) -> None:
        """Count units a plan reserves as gone, and the order at a location with a daily
        capacity as booked there (`new_order`: its first units there)."""
        self.available[(sku, location)] -= units
        if new_order and location in self.orders_today:
            self.orders_today[location] += 1


def local_midnight(location: Location, now: datetime) -> datetime:
    """Start of the location's current day, in UTC."""
    try:
        zone = ZoneInfo(location.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


async def orders_today(
    session: AsyncSession,
    locations: dict[str, Location],
    location_ids: dict[str, int],
    *,
    exclude_order: str | None = None,
) -> dict[str, int]:
    """Orders with stock reserved today at each location that has a daily capacity."""
    now = utcnow()
    counts: dict[str, int] = {}
    for code, location in locations.items():
        if location.schedule.daily_capacity is None:
            continue
        query = sa.select(sa.func.count(sa.distinct(ReservationRow.order_id))).where(
            ReservationRow.location_id == location_ids[code],
            ReservationRow.created_at >= local_midnight(location, now),
            ReservationRow.status != "released",
        )
        if exclude_order is not None:
            query = query.where(ReservationRow.order_id != exclude_order)
        counts[code] = int(await session.scalar(query) or 0)
    return counts


async def lock_levels(session: AsyncSession, skus: Iterable[str]) -> None:
    """Lock the stock rows of `skus` at every location, in (item, location) order, until the
    transaction ends. A snapshot read after this is exact for as long as the transaction
    lasts: a batch of orders is routed against it and its reservations never refused.
    SQLite needs nothing here: its transactions take the one write lock when they begin."""
    wanted = sorted(set(skus))
    if not wanted or session.bind.dialect.name != "postgresql":
        return
    await session.execute(
        sa.select(LEVELS.c.item_id, LEVELS.c.location_id)
        .join(ItemRow, ItemRow.id == LEVELS.c.item_id)
        .where(ItemRow.sku.in_(wanted))
        .order_by(LEVELS.c.item_id, LEVELS.c.location_id)
        .with_for_update(of=LEVELS)
    )


async def load_snapshot(
    session: AsyncSession,
    policy: ChannelPolicy | None,
    skus: Iterable[str],
    *,
    with_incoming: bool,
    include: Collection[str] = (),
    order_id: str | None = None,
    add_back: dict[tuple[str, str], int] | None = None,
) -> Snapshot:
    """Stock for `skus` at the channel's locations (`item_ids` holds the SKUs stocked there);
    with no `policy`, at every active location (see `Snapshot.view`).

    `add_back` ((SKU, location) -> units) counts units as available again: a simulation of a
    re-route gives the order's own reservations back this way without freeing them.
    """
    wanted = sorted(set(skus))
    # One round trip: every active location, with the levels of the wanted SKUs there.
    stocked = sa.join(LEVELS, ItemRow, ItemRow.id == LEVELS.c.item_id)
    rows = await session.execute(
        sa.select(
            LocationRow,
            ItemRow.sku,
            ItemRow.id,
            LEVELS.c.on_hand,
            LEVELS.c.reserved,
            LEVELS.c.safety_stock,
        )
        .select_from(
            sa.outerjoin(
                LocationRow,
                stocked,
                sa.and_(LEVELS.c.location_id == LocationRow.id, ItemRow.sku.in_(wanted)),
            )
        )
        .where(LocationRow.active.is_(True))
    )
    snapshot = Snapshot(locations={}, location_ids={}, item_ids={}, available={})
    for location, sku, item_id, on_hand, reserved, safety in rows.all():
        code = location.code
        if not (policy is None or policy.fed_by(code) or code in include):
            continue
        if code not in snapshot.locations:
            snapshot.locations[code] = location_from_row(location)
            snapshot.location_ids[code] = location.id
        if sku is not None:
            snapshot.item_ids[sku] = item_id
            snapshot.available[(sku, code)] = on_hand - reserved - safety
    code_of = {loc_id: code for code, loc_id in snapshot.location_ids.items()}
    for key, units in (add_back or {}).items():
        if key in snapshot.available:
            snapshot.available[key] += units
    if with_incoming and wanted and code_of:
        lots = await session.execute(
            sa.select(
                INCOMING.c.id,
                ItemRow.sku,
                INCOMING.c.location_id,
                INCOMING.c.quantity - INCOMING.c.received - INCOMING.c.promised,
                INCOMING.c.expected_on,
                INCOMING.c.reference,
            )
            .join(ItemRow, ItemRow.id == INCOMING.c.item_id)
            .where(
                INCOMING.c.status == "open",
                ItemRow.sku.in_(wanted),
                INCOMING.c.location_id.in_(sorted(code_of)),
            )
            .order_by(INCOMING.c.expected_on, INCOMING.c.id)
        )
        snapshot.lots = [
            Lot(
                id=lot_id,
                sku=sku,
                location=code_of[location_id],
                free=max(0, free),
                expected_on=expected_on,
                reference=reference,
            )
            for lot_id, sku, location_id, free, expected_on, reference in lots.all()
        ]
    snapshot.orders_today = await orders_today(
        session, snapshot.locations, snapshot.location_ids, exclude_order=order_id
    )
    return snapshot
