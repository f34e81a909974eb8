"""A small, known world for the console tests, built through the hub's own services.

Two locations (WH1 warehouse, WH2 store, both in Paris), four items, and orders in the
states the console must show: late (past its promised date), a delivery older than 14 days,
on hold, allocated and released at each location, plus a dead outbox item and one user per
role. `seed_parcels` adds a packed order at each location, and `CARRIER` is an offline
carrier connection (rates from a price list, PDF labels drawn locally, no network) to buy
their labels from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from orderhub.core.model import (
    SYSTEM,
    Address,
    Customer,
    FinancialStatus,
    HoldReason,
    Item,
    Location,
    LocationKind,
    Money,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
)
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.console.accounts import create_user
from orderhub.hub.fulfillment.packing import pack
from orderhub.hub.fulfillment.picking import confirm_picks
from orderhub.hub.fulfillment.records import group_lines
from orderhub.hub.fulfillment.release import plan_groups, release_by_operator
from orderhub.hub.fulfillment.schemas import PackIn, ParcelIn, PickIn, PicksIn
from orderhub.hub.locations.service import location_ids, upsert_location
from orderhub.hub.orders.service import (
    change_status,
    create_order,
    get_order_row,
    place_hold,
    record,
)
from orderhub.hub.stock.reservations import ReservationRequest, consume, reserve
from orderhub.hub.stock.service import set_on_hand
from orderhub.hub.store.tables import ItemRow, OrderLineRow, OrderRow, OutboxRow
from orderhub.hub.store.types import utcnow

PASSWORDS = {
    "admin": "admin-password-1",
    "operator": "operator-password-1",
    "warehouse": "warehouse-password-1",
    "read-only": "readonly-password-1",
}
"""Username = role name (warehouse works at WH2 only)."""

ITEMS = {
    "MUG-BLUE": ("Blue mug", "12.50"),
    "MUG-RED": ("Red mug", "12.50"),
    "TEE-M": ("T-shirt M", "19.90"),
    "CAP-OUT": ("Cap, sold out", "15.00"),
}
STOCK = {("MUG-BLUE", "WH1"): 40, ("MUG-RED", "WH1"): 4, ("TEE-M", "WH1"): 25, ("TEE-M", "WH2"): 6}


@dataclass
class World:
    orders: dict[str, str] = field(default_factory=dict)
    """Order number -> id."""
    dead_outbox_id: int = 0


def _order(
    number: str, lines: list[tuple[str, int]], *, placed_at: datetime, **extra: Any
) -> Order:
    return Order(
        connection="manual",
        external_id=number,
        number=number,
        currency="EUR",
        placed_at=placed_at,
        lines=[
            OrderLine(
                sku=sku,
                name=ITEMS[sku][0],
                quantity=quantity,
                unit_price=Money.parse(ITEMS[sku][1], "EUR"),
            )
            for sku, quantity in lines
        ],
        financial_status=FinancialStatus.PAID,
        customer=Customer(email=f"{number.lower()}@example.com", name=f"Customer {number}"),
        shipping_address=Address(
            name=f"Customer {number}",
            line1="1 rue de la Paix",
            city="Paris",
            postal_code="75002",
            country="FR",
        ),
        **extra,
    )


async def _allocate(session: Any, order_id: str, location: str) -> None:
    """Reserve every line at one location, as routing would, and move the status."""
    locations = await location_ids(session)
    lines = list(
        await session.scalars(sa.select(OrderLineRow).where(OrderLineRow.order_id == order_id))
    )
    items = dict((await session.execute(sa.select(ItemRow.sku, ItemRow.id))).all())
    refused = await reserve(
        session,
        order_id,
        [
            ReservationRequest(
                line_id=line.id,
                item_id=items[line.sku],
                location_id=locations[location],
                quantity=line.quantity,
            )
            for line in lines
        ],
    )
    assert not refused, f"seed stock too low for {order_id} at {location}"
    for line in lines:
        line.quantity_allocated = line.quantity
    row = await get_order_row(session, order_id, for_update=True)
    await change_status(
        session, row, OrderStatus.ALLOCATED, SYSTEM, reason=f"reserved at {location}"
    )
    row.routing_trace = [
        {"rule": "in_stock", "location": location, "decision": "kept", "reason": "has every line"},
        {"rule": "priority", "location": location, "decision": "chosen", "reason": "seeded"},
    ]


CARRIER = {
    "post": {
        "connector": "offline",
        "title": "Test Post (offline carrier)",
        "settings": {
            "carrier": "Test Post",
            "tracking_prefix": "TP",
            "rates": [
                {
                    "service": "colis",
                    "price": "4.90",
                    "max_weight_grams": 5000,
                    "countries": ["FR"],
                    "transit_days": 2,
                }
            ],
        },
    }
}
"""`connections` for a hub whose packed parcels can get labels: one offline carrier, which
delivers to France only (a parcel to anywhere else finds no rate)."""

ADDRESSES = {
    "WH1": Address(
        company="Main warehouse",
        line1="12 rue des Entrepôts",
        postal_code="93200",
        city="Saint-Denis",
        country="FR",
        phone="+33100000001",
    ),
    "WH2": Address(
        company="City store",
        line1="5 rue du Commerce",
        postal_code="75015",
        city="Paris",
        country="FR",
        phone="+33100000002",
    ),
}


async def seed(hub: Any) -> World:
    world = World()
    now = utcnow()
    async with hub.transaction() as session:
        await upsert_location(
            session,
            Location(
                code="WH1",
                name="Main warehouse",
                kind=LocationKind.WAREHOUSE,
                priority=10,
                address=ADDRESSES["WH1"],
            ),
        )
        await upsert_location(
            session,
            Location(
                code="WH2",
                name="City store",
                kind=LocationKind.STORE,
                priority=50,
                address=ADDRESSES["WH2"],
            ),
        )
        for sku, (name, price) in ITEMS.items():
            await upsert_item(session, Item(sku=sku, name=name, price=Money.parse(price, "EUR")))
        for (sku, code), quantity in STOCK.items():
            await set_on_hand(
                session, sku, code, quantity, kind=MovementKind.RECEIPT, reason="seed", actor="seed"
            )
        await set_on_hand(session, "CAP-OUT", "WH1", 0, reason="seed", actor="seed")
        for role, password in PASSWORDS.items():
            await create_user(
                session, role, password, role, locations=["WH2"] if role == "warehouse" else None
            )

    async def new(number: str, lines: list[tuple[str, int]], age: timedelta, **extra: Any) -> str:
        return await _new_order(hub, world, number, lines, now - age, **extra)

    # Late: promised yesterday, still only allocated at WH1.
    late = await new(
        "LATE-1",
        [("MUG-BLUE", 2)],
        timedelta(days=3),
        promised_date=date.today() - timedelta(days=1),
    )
    async with hub.transaction() as session:
        await _allocate(session, late, "WH1")

    # On hold for payment, nothing reserved.
    held = await new("HOLD-1", [("TEE-M", 1)], timedelta(hours=5))
    async with hub.transaction() as session:
        row = await get_order_row(session, held, for_update=True)
        await place_hold(
            session,
            row,
            HoldReason.PAYMENT,
            "waiting for the bank transfer",
            source="preprocess.payment",
            actor=SYSTEM,
        )

    # Shipped 20 days ago and still not delivered.
    old = await new("SHIP-OLD", [("MUG-BLUE", 1)], timedelta(days=20))
    async with hub.transaction() as session:
        await _allocate(session, old, "WH1")
        row = await get_order_row(session, old, for_update=True)
        await change_status(session, row, OrderStatus.RELEASED, SYSTEM)
        line = await session.scalar(sa.select(OrderLineRow).where(OrderLineRow.order_id == old))
        await consume(session, old, line.id, (await location_ids(session))["WH1"], 1)
        line.quantity_shipped, line.quantity_allocated = 1, 0
        await change_status(session, row, OrderStatus.SHIPPED, SYSTEM, reason="handed to Colissimo")
        await record(
            session,
            row,
            SYSTEM,
            "shipped",
            {"location": "WH1", "carrier": "Colissimo", "tracking_number": "6A12345678901"},
            "handed to Colissimo",
            bump=False,
        )

    # Allocated at WH1 (to re-route, to cancel) and at WH2 (the warehouse user's).
    for number, location, lines in (
        ("ALLOC-1", "WH1", [("TEE-M", 2)]),
        ("ALLOC-2", "WH1", [("MUG-RED", 1)]),
        ("STORE-1", "WH2", [("TEE-M", 1)]),
    ):
        order_id = await new(number, lines, timedelta(hours=2))
        async with hub.transaction() as session:
            await _allocate(session, order_id, location)
    # Released for picking through the fulfillment service: one at each location.
    for number, location, lines in (
        ("PICK-1", "WH1", [("MUG-BLUE", 3), ("TEE-M", 1)]),
        ("PICK-2", "WH2", [("TEE-M", 2)]),
    ):
        order_id = await new(number, lines, timedelta(hours=1))
        async with hub.transaction() as session:
            await _allocate(session, order_id, location)
            row = await get_order_row(session, order_id, for_update=True)
            (group,) = await plan_groups(session, row)
            await release_by_operator(session, hub, group.id, actor=SYSTEM)

    # A stock push the channel refused for good (written as the worker leaves it).
    async with hub.transaction() as session:
        dead = OutboxRow(
            connection_id="manual",
            operation="push_stock",
            idempotency_key="seed:dead-push",
            payload={"sku": "MUG-BLUE", "location": "WH1", "available": 40},
            status="dead",
            attempts=8,
            last_error="422 Unprocessable: unknown inventory item",
        )
        session.add(dead)
        await session.flush()
        world.dead_outbox_id = dead.id
    async with hub.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(OrderRow)) == len(
            world.orders
        )
    return world


async def _new_order(
    hub: Any,
    world: World,
    number: str,
    lines: list[tuple[str, int]],
    placed_at: datetime,
    **extra: Any,
) -> str:
    async with hub.transaction() as session:
        order = await create_order(
            session,
            _order(number, lines, placed_at=placed_at, **extra),
            actor=SYSTEM,
            reject_unknown_skus=True,
        )
        world.orders[number] = order.id
        return order.id


PACKED = {"PACK-1": ("WH1", "MUG-BLUE", 1, 420), "PACK-2": ("WH2", "TEE-M", 1, 250)}
"""Packed orders `seed_parcels` adds: number -> (location, SKU, units, parcel grams)."""


async def seed_parcels(hub: Any, world: World) -> dict[str, str]:
    """A packed order at each location (through release, picking and packing, as a warehouse
    would), waiting for its label. Returns order number -> fulfillment group id."""
    groups = {}
    for number, (location, sku, units, grams) in PACKED.items():
        order_id = await _new_order(
            hub, world, number, [(sku, units)], utcnow() - timedelta(minutes=30)
        )
        async with hub.transaction() as session:
            await _allocate(session, order_id, location)
            row = await get_order_row(session, order_id, for_update=True)
            (group,) = await plan_groups(session, row)
            await release_by_operator(session, hub, group.id, actor=SYSTEM)
            lines = await group_lines(session, group.id)
            picks = PicksIn(
                lines=[PickIn(line_id=line.line_id, found=line.quantity) for line in lines]
            )
            await confirm_picks(session, hub, group.id, picks, actor=SYSTEM)
            await pack(
                session, group.id, PackIn(parcels=[ParcelIn(weight_grams=grams)]), actor=SYSTEM
            )
            groups[number] = group.id
    return groups
