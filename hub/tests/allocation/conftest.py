"""Shared pieces of the allocation tests: places, items, stock, order bodies, a channel that
takes stock pushes, and readers of the tables that matter (reservations, levels, outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from orderhub.core.connectors import Capability, StockUpdate
from orderhub.core.model import (
    Address,
    GeoPoint,
    Item,
    Location,
    LocationCapability,
    LocationKind,
    Money,
    PickSchedule,
)
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.stock import service as stock
from orderhub.hub.store.tables import (
    ItemRow,
    LocationRow,
    OutboxRow,
    ReservationRow,
    StockLevelRow,
)
from orderhub.hub.testing import auth

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
LYON = GeoPoint(lat=45.7640, lon=4.8357)
MARSEILLE = GeoPoint(lat=43.2965, lon=5.3698)
LILLE = GeoPoint(lat=50.6292, lon=3.0573)
BERLIN = GeoPoint(lat=52.5200, lon=13.4050)

SHIP = LocationCapability.SHIP
PICKUP = LocationCapability.PICKUP


def _address(city: str, postal: str, point: GeoPoint, country: str = "FR") -> Address:
    return Address(
        name="Depot",
        line1="1 rue du Port",
        city=city,
        postal_code=postal,
        country=country,
        point=point,
    )


LOCATIONS = [
    Location(
        code="PAR-WH",
        name="Paris warehouse",
        kind=LocationKind.WAREHOUSE,
        point=PARIS,
        address=_address("Paris", "75019", PARIS),
        priority=10,
        ships_to=["FR", "BE"],
        schedule=PickSchedule(cutoff="23:59", working_days=[0, 1, 2, 3, 4, 5, 6]),
    ),
    Location(
        code="MRS-WH",
        name="Marseille warehouse",
        kind=LocationKind.WAREHOUSE,
        point=MARSEILLE,
        address=_address("Marseille", "13002", MARSEILLE),
        priority=20,
        schedule=PickSchedule(cutoff="23:59", working_days=[0, 1, 2, 3, 4, 5, 6]),
    ),
    Location(
        code="LYO-ST",
        name="Lyon store",
        kind=LocationKind.STORE,
        point=LYON,
        address=_address("Lyon", "69002", LYON),
        priority=50,
        capabilities=[SHIP, PICKUP],
        schedule=PickSchedule(cutoff="23:59", working_days=[0, 1, 2, 3, 4, 5, 6]),
    ),
    Location(
        code="BER-SUP",
        name="Berlin supplier",
        kind=LocationKind.SUPPLIER,
        point=BERLIN,
        address=_address("Berlin", "10115", BERLIN, "DE"),
        priority=90,
        schedule=PickSchedule(cutoff="23:59", working_days=[0, 1, 2, 3, 4, 5, 6]),
    ),
]

ITEMS = [
    Item(sku="TEE", name="T-shirt", price=Money.parse("20.00", "EUR"), substitutes=["TEE-V2"]),
    Item(sku="TEE-V2", name="T-shirt, new print", price=Money.parse("20.00", "EUR")),
    Item(sku="MUG", name="Mug", price=Money.parse("10.00", "EUR")),
    Item(sku="LAMP", name="Lamp", price=Money.parse("120.00", "EUR"), sku_group="bulky"),
    Item(sku="SOFA", name="Sofa", price=Money.parse("900.00", "EUR")),
]


@pytest.fixture
async def world(hub: Any) -> dict[str, Any]:
    """Four locations (Paris and Marseille warehouses, Lyon store, Berlin supplier) and five
    items, with no stock yet."""
    async with hub.transaction() as session:
        for location in LOCATIONS:
            await upsert_location(session, location)
        for item in ITEMS:
            await upsert_item(session, item)
    return {"locations": [loc.code for loc in LOCATIONS], "items": [i.sku for i in ITEMS]}


async def set_stock(hub: Any, levels: dict[tuple[str, str], int]) -> None:
    async with hub.transaction() as session:
        for (sku, location), on_hand in levels.items():
            await stock.set_on_hand(session, sku, location, on_hand, reason="test stock")


async def levels(hub: Any) -> dict[tuple[str, str], tuple[int, int]]:
    """(SKU, location) -> (on hand, reserved)."""
    async with hub.read() as session:
        rows = await session.execute(
            sa.select(ItemRow.sku, LocationRow.code, StockLevelRow.on_hand, StockLevelRow.reserved)
            .join(ItemRow, ItemRow.id == StockLevelRow.item_id)
            .join(LocationRow, LocationRow.id == StockLevelRow.location_id)
        )
        return {(sku, code): (on_hand, reserved) for sku, code, on_hand, reserved in rows.all()}


async def active_reservations(hub: Any, order_id: str | None = None) -> dict[tuple[str, str], int]:
    """(SKU, location) -> units actively reserved (for one order, or all)."""
    async with hub.read() as session:
        query = (
            sa.select(ItemRow.sku, LocationRow.code, sa.func.sum(ReservationRow.quantity))
            .join(ItemRow, ItemRow.id == ReservationRow.item_id)
            .join(LocationRow, LocationRow.id == ReservationRow.location_id)
            .where(ReservationRow.status == "active")
            .group_by(ItemRow.sku, LocationRow.code)
        )
        if order_id is not None:
            query = query.where(ReservationRow.order_id == order_id)
        return {
            (sku, code): int(units) for sku, code, units in (await session.execute(query)).all()
        }


async def outbox_rows(hub: Any) -> list[OutboxRow]:
    async with hub.read() as session:
        return list(await session.scalars(sa.select(OutboxRow).order_by(OutboxRow.id)))


def order_body(*lines: tuple[str, int], **fields: Any) -> dict[str, Any]:
    """A manual order for a customer in Paris, paid, with a unique reference."""
    body: dict[str, Any] = {
        "reference": fields.pop("reference", f"T-{uuid.uuid4().hex[:10]}"),
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "financial_status": "paid",
        "customer": {"email": fields.pop("email", f"{uuid.uuid4().hex[:8]}@example.com")},
        "shipping_address": {
            "name": "Camille Martin",
            "line1": "12 rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
            "point": {"lat": PARIS.lat, "lon": PARIS.lon},
        },
    }
    body.update(fields)
    return body


async def place(client: Any, tokens: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/orders", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 201, response.text
    return response.json()


async def history(client: Any, tokens: dict[str, str], order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/orders/{order_id}/history", headers=auth(tokens["operator"]))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def trace_lines(
    order_trace: list[dict[str, Any]], rule: str, location: str | None = None
) -> list[str]:
    return [
        f"{entry['decision']}: {entry['reason']}"
        for entry in order_trace
        if entry["rule"] == rule and (location is None or entry["location"] == location)
    ]


# ------------------------------------------------------------------------ a stock-push channel


class FeedChannel(FakeChannel):
    """A marketplace that is told quantities: records every `push_stock` call it gets."""

    name: ClassVar[str] = "feed"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_STOCK})
    pushed: ClassVar[dict[str, list[StockUpdate]]] = {}

    async def push_stock(self, updates: Sequence[StockUpdate]) -> None:
        await super().push_stock(updates)
        FeedChannel.pushed.setdefault(self.connection.id, []).extend(updates)


def feed_plugin() -> Any:
    """The plugin registering `FeedChannel`, for `extra_plugins`."""
    return connector_plugin(FeedChannel)


@pytest.fixture
def feed_pushes() -> dict[str, list[StockUpdate]]:
    FeedChannel.pushed = {}
    return FeedChannel.pushed
