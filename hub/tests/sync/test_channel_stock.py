"""Where a channel's stock numbers go, and which of its stock reports count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orderhub.core.connection import Connection
from orderhub.core.connectors import StockUpdate
from orderhub.core.model import Money, Order, OrderLine
from orderhub.hub.store.tables import BindingRow, PublishedAvailabilityRow
from orderhub.hub.sync import channel_stock

STORE = Connection(
    id="store",
    connector="testshop",
    locations={"loc-pos": "SHOP", "loc-wh": "WH1", "loc-wh2": "WH2"},
    feeds_from=["WH1", "WH2"],
)
"""loc-pos maps a shop the channel does not sell from; loc-wh is the first publishing one."""


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"plugins": {"allow": ["manual", "spreadsheet"]}, "connections": {}}


def update(**refs: Any) -> StockUpdate:
    return StockUpdate(sku="MUG", quantity=4, previous_quantity=6, idempotency_key="k", **refs)


async def test_an_update_goes_to_the_first_publishing_location_and_the_bound_item(hub):
    async with hub.transaction() as session:
        session.add(
            BindingRow(connection_id="store", entity="item", external_id="inv-1", internal_id="MUG")
        )
    async with hub.read() as session:
        sent = await channel_stock.addressed(session, STORE, update())
        kept = await channel_stock.addressed(
            session, STORE, update(location_ref="loc-wh2", item_ref="inv-9")
        )
        nowhere = await channel_stock.addressed(
            session, Connection(id="other", connector="testshop"), update()
        )

    assert (sent.location_ref, sent.item_ref) == ("loc-wh", "inv-1")
    assert (sent.quantity, sent.previous_quantity) == (4, 6)
    assert (kept.location_ref, kept.item_ref) == ("loc-wh2", "inv-9")
    assert (nowhere.location_ref, nowhere.item_ref) == (None, None)


async def test_a_sku_bound_to_two_items_is_left_for_the_connector_to_resolve(hub):
    async with hub.transaction() as session:
        for ref in ("inv-1", "inv-2"):
            session.add(
                BindingRow(connection_id="store", entity="item", external_id=ref, internal_id="MUG")
            )
    async with hub.read() as session:
        sent = await channel_stock.addressed(session, STORE, update())
    assert sent.item_ref is None


async def test_order_lines_bind_their_items_once(hub):
    line = OrderLine(
        sku="MUG",
        name="Mug",
        quantity=1,
        unit_price=Money.parse("9.00", "EUR"),
        bindings={"inventory_item_id": "inv-1", "variant_id": "v-1"},
    )
    without_sku = OrderLine(
        sku=None,
        name="?",
        quantity=1,
        unit_price=Money.parse("1.00", "EUR"),
        bindings={"inventory_item_id": "inv-2"},
    )
    order = Order(
        connection="store",
        external_id="1",
        number="#1",
        currency="EUR",
        placed_at=datetime(2026, 5, 1, tzinfo=UTC),
        lines=[line, without_sku],
    )
    async with hub.transaction() as session:
        first = await channel_stock.bind_items(session, "store", order)
        again = await channel_stock.bind_items(session, "store", order)
        assert await channel_stock.item_ref(session, "store", "MUG") == "inv-1"
    assert (first, again) == (1, 0)


async def test_reports_count_unless_orderhub_publishes_that_sku_there(hub):
    async with hub.transaction() as session:
        session.add(PublishedAvailabilityRow(connection_id="store", sku="MUG", quantity=6))
    async with hub.read() as session:
        echoed = await channel_stock.derived_report(session, STORE, "loc-wh", "MUG")
        other_sku = await channel_stock.derived_report(session, STORE, "loc-wh", "TEE")
        shop = await channel_stock.derived_report(session, STORE, "loc-pos", "MUG")
        unmapped = await channel_stock.derived_report(session, STORE, "loc-x", "MUG")

    assert "not counted" in echoed and "last told 6" in echoed
    assert other_sku is None and shop is None and unmapped is None
