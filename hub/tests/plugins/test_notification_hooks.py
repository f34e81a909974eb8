"""The notification hooks as a plugin sees them, through `RecordingPlugin`: events arrive
after the change committed, never for a change rolled back, and `orderhub_stock_changed`
comes for every kind of stock change its docstring promises."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.core.events import OrderChanged, StockChanged
from orderhub.core.model import Item, Location, Money, MovementKind
from orderhub.core.testing import RecordingPlugin
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.stock import service as stock
from orderhub.hub.store.tables import ItemRow, LocationRow, StockLevelRow
from orderhub.hub.testing import auth


class Rollback(Exception):
    pass


@pytest.fixture
def recorder() -> RecordingPlugin:
    return RecordingPlugin()


@pytest.fixture
def extra_plugins(recorder: RecordingPlugin) -> list[Any]:
    return [recorder]


@pytest.fixture
async def shelves(hub: Any) -> None:
    """The mug, in two warehouses."""
    async with hub.transaction() as session:
        await upsert_item(session, Item(sku="MUG", name="Mug", price=Money.parse("8.50", "EUR")))
        await upsert_location(session, Location(code="WH1", name="Main warehouse"))
        await upsert_location(session, Location(code="WH2", name="Second warehouse"))


async def committed_on_hand(hub: Any, sku: str, location: str) -> int | None:
    async with hub.read() as session:
        return await session.scalar(
            sa.select(StockLevelRow.on_hand)
            .join(ItemRow, ItemRow.id == StockLevelRow.item_id)
            .join(LocationRow, LocationRow.id == StockLevelRow.location_id)
            .where(ItemRow.sku == sku, LocationRow.code == location)
        )


def stock_events(recorder: RecordingPlugin) -> list[tuple[str, str, int]]:
    return [(e.sku, e.location, e.on_hand) for e in recorder.of_type(StockChanged)]


async def test_events_arrive_after_the_commit(hub: Any, recorder: RecordingPlugin, shelves: None):
    seen_in_database: list[int | None] = []

    async def look(event: Any) -> None:
        seen_in_database.append(await committed_on_hand(hub, event.sku, event.location))

    recorder.on_event = look
    async with hub.transaction() as session:
        await stock.adjust(session, "MUG", "WH1", 4, reason="found")
        assert recorder.events == []  # not while the transaction is open
    assert stock_events(recorder) == [("MUG", "WH1", 4)]
    assert seen_in_database == [4]  # the plugin already sees the committed level


async def test_no_events_after_a_rollback(hub: Any, recorder: RecordingPlugin, shelves: None):
    with pytest.raises(Rollback):
        async with hub.transaction() as session:
            await stock.adjust(session, "MUG", "WH1", 4, reason="found")
            raise Rollback
    assert recorder.events == []
    assert await committed_on_hand(hub, "MUG", "WH1") in (None, 0)
    async with hub.transaction() as session:
        await stock.adjust(session, "MUG", "WH1", 1, reason="found")
    assert stock_events(recorder) == [("MUG", "WH1", 1)]


async def test_an_order_change_is_announced_after_its_commit(
    client: Any, tokens: Any, recorder: RecordingPlugin, shelves: None
):
    response = await client.post(
        "/orders",
        json={"lines": [{"sku": "MUG", "quantity": 1}]},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]
    changed = recorder.of_type(OrderChanged)
    assert changed and {event.order_id for event in changed} == {order_id}


async def test_stock_changed_for_every_kind_it_promises(
    client: Any, hub: Any, tokens: Any, recorder: RecordingPlugin, shelves: None
):
    """One request per kind of ledger row the hook's docstring lists as covered."""
    token = auth(tokens["admin"])

    async def expect(
        kind: MovementKind, method: str, path: str, body: dict[str, Any], level: tuple[str, int]
    ) -> None:
        before = len(recorder.events)
        response = await client.request(method, path, json=body, headers=token)
        assert response.status_code in (200, 201), response.text
        announced = stock_events(recorder)[before:]
        assert ("MUG", *level) in announced, f"{kind.value}: {announced}"

    await expect(MovementKind.SET, "PUT", "/stock/MUG/WH1", {"on_hand": 10}, ("WH1", 10))
    await expect(
        MovementKind.ADJUSTMENT,
        "POST",
        "/stock/MUG/WH1/adjustments",
        {"delta": -2, "reason": "broken"},
        ("WH1", 8),
    )
    await expect(
        MovementKind.RECEIPT, "POST", "/stock/MUG/WH1/receipts", {"quantity": 5}, ("WH1", 13)
    )
    await expect(
        MovementKind.COUNT,
        "POST",
        "/stock/counts",
        {"counts": [{"sku": "MUG", "location": "WH1", "counted": 12}]},
        ("WH1", 12),
    )
    await expect(
        MovementKind.TRANSFER_IN,
        "POST",
        "/stock/transfers",
        {"sku": "MUG", "from_location": "WH1", "to_location": "WH2", "quantity": 3},
        ("WH2", 3),
    )
    before = len(recorder.events)
    await expect(
        MovementKind.SET,
        "PUT",
        "/stock/MUG/WH2",
        {"on_hand": 3, "safety_stock": 1},
        ("WH2", 3),
    )  # only the safety stock moved
    assert len(recorder.events) == before + 1
