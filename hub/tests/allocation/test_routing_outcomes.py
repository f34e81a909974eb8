"""Each routing outcome through the API, with the trace that explains it and the stock it took."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from orderhub.core.hookspecs import hookimpl
from orderhub.hub.testing import auth

from .conftest import (
    active_reservations,
    feed_plugin,
    history,
    levels,
    order_body,
    place,
    set_stock,
    trace_lines,
)


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "connections": {
            # split allowed from 100.00 EUR; stores and supplier not used (warehouses only)
            "phone": {
                "connector": "manual",
                "feeds_from": ["PAR-WH", "MRS-WH"],
                "routing": {"split_min_value": {"amount": 10000, "currency": "EUR"}},
            },
            # ship from store allowed, no split
            "counter": {
                "connector": "manual",
                "feeds_from": ["PAR-WH", "LYO-ST"],
                "routing": {
                    "allow_split": False,
                    "rules": [
                        {"rule": "location_kind", "kinds": ["store"]},
                        "fewest_splits",
                        "distance",
                    ],
                },
            },
            # drop-ship from the supplier, preorders against incoming stock
            "b2b": {
                "connector": "manual",
                "feeds_from": ["PAR-WH", "BER-SUP"],
                "routing": {"preorder": True, "backorder": "when_incoming"},
            },
        }
    }


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [feed_plugin()]


async def test_single_location_allocates_and_reserves(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5, ("MUG", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), ("MUG", 1), connection="phone"))
    assert order["status"] == "allocated"
    assert [
        (line["quantity_allocated"], line["quantity_backordered"]) for line in order["lines"]
    ] == [
        (2, 0),
        (1, 0),
    ]
    # Paris is nearer but has no mugs: Marseille ships everything alone.
    assert await active_reservations(hub, order["id"]) == {
        ("TEE", "MRS-WH"): 2,
        ("MUG", "MRS-WH"): 1,
    }
    assert (await levels(hub))[("TEE", "MRS-WH")] == (5, 2)
    async with hub.read() as session:
        from orderhub.hub.store.tables import OrderRow

        row = await session.get(OrderRow, order["id"])
        trace = row.routing_trace
    assert trace_lines(trace, "plan", "MRS-WH") == [
        "kept: chosen (ship from warehouse): ships the whole order (3 units) alone; "
        "the best-ranked location that can"
    ]
    assert trace_lines(trace, "plan", "PAR-WH") == [
        "dropped: cannot ship the whole order alone (has 2 of 3 units); MRS-WH can"
    ]
    assert order["promised_date"] is not None
    actions = [entry["action"] for entry in await history(client, tokens, order["id"])]
    assert actions == ["created", "allocated", "status_changed"]


async def _trace(hub: Any, order_id: str) -> list[dict[str, Any]]:
    from orderhub.hub.store.tables import OrderRow

    async with hub.read() as session:
        return (await session.get(OrderRow, order_id)).routing_trace


def _groups(
    order: dict[str, Any], trace_history: list[dict[str, Any]]
) -> list[tuple[str, str, int]]:
    allocated = [e for e in trace_history if e["action"] == "allocated"][-1]
    return [(r["location"], r["method"], r["quantity"]) for r in allocated["detail"]["reserved"]]


async def test_split_when_order_value_reaches_threshold(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("LAMP", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), ("LAMP", 1), connection="phone"))
    assert order["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {
        ("TEE", "PAR-WH"): 2,
        ("LAMP", "MRS-WH"): 1,
    }
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "split") == [
        "kept: no single location has the whole order; "
        "order value 160.00 EUR reaches the 100.00 EUR needed to split"
    ]
    assert trace[-1]["reason"].startswith("split over 2 locations")


async def test_no_split_below_threshold_ships_what_one_location_has(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("MUG", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 1), ("MUG", 1), connection="phone"))
    assert order["status"] == "partially_allocated"
    assert [
        (ln["sku"], ln["quantity_allocated"], ln["quantity_backordered"]) for ln in order["lines"]
    ] == [
        ("TEE", 1, 0),
        ("MUG", 0, 1),
    ]
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 1}
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "split") == [
        "dropped: no single location has the whole order; "
        "order value 30.00 EUR is below the 100.00 EUR needed to split"
    ]
    assert trace_lines(trace, "backorder") == [
        "kept: 1 × MUG backordered: not in stock at a usable location; waits for new stock"
    ]
    # Nothing is promised while a unit waits without a date.
    assert order["promised_date"] is None


async def test_ship_from_store(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "LYO-ST"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), connection="counter"))
    assert order["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "LYO-ST"): 2}
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "location_kind", "PAR-WH") == [
        "dropped: is a warehouse; this channel only uses store"
    ]
    assert trace_lines(trace, "plan", "LYO-ST") == [
        "kept: chosen (ship from store): ships the whole order (2 units) alone; "
        "the best-ranked location that can"
    ]
    assert _groups(order, await history(client, tokens, order["id"])) == [("LYO-ST", "ship", 2)]


async def test_click_and_collect_at_the_chosen_store(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 50, ("TEE", "LYO-ST"): 3})
    body = order_body(("TEE", 2), connection="counter", pickup_location="LYO-ST")
    order = await place(client, tokens, body)
    assert order["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "LYO-ST"): 2}
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "pickup", "LYO-ST") == [
        "kept: the customer chose this location for click & collect; "
        "no other location is considered and the channel's rules do not apply"
    ]
    assert trace_lines(trace, "plan", "LYO-ST") == [
        "kept: has all 2 units: ready for click & collect"
    ]
    assert _groups(order, await history(client, tokens, order["id"])) == [("LYO-ST", "pickup", 2)]
    assert order["promised_date"] is not None


async def test_drop_ship_from_supplier(client, tokens, hub, world):
    await set_stock(hub, {("SOFA", "BER-SUP"): 10})
    order = await place(client, tokens, order_body(("SOFA", 1), connection="b2b"))
    assert order["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("SOFA", "BER-SUP"): 1}
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "plan", "BER-SUP") == [
        "kept: chosen (drop-ship by the supplier): ships the whole order (1 unit) alone; "
        "the best-ranked location that can"
    ]
    assert _groups(order, await history(client, tokens, order["id"])) == [
        ("BER-SUP", "drop_ship", 1)
    ]


async def test_backorders_allocated_on_receipt_oldest_order_first(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 0})
    start = "2026-03-02T09:00:00+00:00"
    # Created in a different order than placed: the receipt follows when customers ordered.
    late = await place(
        client,
        tokens,
        order_body(("TEE", 2), connection="phone", placed_at="2026-03-02T09:30:00+00:00"),
    )
    first = await place(client, tokens, order_body(("TEE", 2), connection="phone", placed_at=start))
    second = await place(
        client,
        tokens,
        order_body(("TEE", 1), connection="phone", placed_at="2026-03-02T09:10:00+00:00"),
    )
    assert {o["status"] for o in (late, first, second)} == {"backordered"}
    response = await client.post(
        "/stock/TEE/PAR-WH/receipts",
        json={"quantity": 4, "reference": "PO-77"},
        headers=auth(tokens["warehouse"] if False else tokens["operator"]),
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert [(f["order_id"], f["quantity"]) for f in receipt["filled"]] == [
        (first["id"], 2),
        (second["id"], 1),
        (late["id"], 1),
    ]
    assert (receipt["on_hand"], receipt["reserved"], receipt["available"]) == (4, 4, 0)
    statuses = {}
    for order in (first, second, late):
        got = (await client.get(f"/orders/{order['id']}", headers=auth(tokens["operator"]))).json()
        statuses[order["id"]] = (
            got["status"],
            got["lines"][0]["quantity_allocated"],
            got["lines"][0]["quantity_backordered"],
        )
    assert statuses == {
        first["id"]: ("allocated", 2, 0),
        second["id"]: ("allocated", 1, 0),
        late["id"]: ("partially_allocated", 1, 1),
    }
    entry = [
        e
        for e in await history(client, tokens, first["id"])
        if e["action"] == "allocated_on_receipt"
    ]
    assert entry[0]["detail"]["location"] == "PAR-WH"
    assert "oldest order first" in entry[0]["reason"]
    assert await active_reservations(hub) == {("TEE", "PAR-WH"): 4}


async def test_preorder_against_incoming_stock_then_filled_on_receipt(client, tokens, hub, world):
    expected = (date.today() + timedelta(days=10)).isoformat()
    response = await client.post(
        "/incoming",
        json={
            "sku": "LAMP",
            "location": "PAR-WH",
            "quantity": 5,
            "expected_on": expected,
            "reference": "PO-9",
        },
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 201, response.text
    order = await place(client, tokens, order_body(("LAMP", 2), connection="b2b"))
    assert order["status"] == "backordered"
    assert (order["lines"][0]["quantity_allocated"], order["lines"][0]["quantity_backordered"]) == (
        0,
        2,
    )
    assert order["promised_date"] is not None and order["promised_date"] >= expected
    trace = await _trace(hub, order["id"])
    assert trace_lines(trace, "preorder", "PAR-WH") == [
        f"kept: 2 × LAMP preordered against stock expected on {expected} (PO-9)"
    ]
    lots = (await client.get("/incoming?sku=LAMP", headers=auth(tokens["operator"]))).json()[
        "items"
    ]
    assert [(lot["quantity"], lot["promised"], lot["received"]) for lot in lots] == [(5, 2, 0)]

    # A second order cannot be promised more than the lot holds: 3 left, it asks for 4.
    other = await place(client, tokens, order_body(("LAMP", 4), connection="b2b"))
    assert (other["lines"][0]["quantity_backordered"], other["status"]) == (4, "backordered")
    lots = (await client.get("/incoming?sku=LAMP", headers=auth(tokens["operator"]))).json()[
        "items"
    ]
    assert lots[0]["promised"] == 5

    receipt = await client.post(
        "/stock/LAMP/PAR-WH/receipts",
        json={"quantity": 5, "reference": "PO-9"},
        headers=auth(tokens["operator"]),
    )
    assert receipt.status_code == 201, receipt.text
    assert [(f["order_id"], f["quantity"]) for f in receipt.json()["filled"]] == [
        (order["id"], 2),
        (other["id"], 3),
    ]
    lots = (
        await client.get("/incoming?sku=LAMP&status=received", headers=auth(tokens["operator"]))
    ).json()["items"]
    assert [(lot["received"], lot["promised"], lot["status"]) for lot in lots] == [
        (5, 0, "received")
    ]
    got = (await client.get(f"/orders/{order['id']}", headers=auth(tokens["operator"]))).json()
    assert (got["status"], got["lines"][0]["quantity_allocated"]) == ("allocated", 2)
    assert await levels(hub) == {("LAMP", "PAR-WH"): (5, 5)}


async def test_nothing_incoming_and_no_backorders_holds_the_order(client, tokens, hub, world):
    order = await place(client, tokens, order_body(("LAMP", 1), connection="b2b"))
    assert order["status"] == "on_hold"
    [hold] = order["holds"]
    assert hold["reason"] == "availability"
    assert hold["source"] == "routing"
    assert "none is incoming" in hold["detail"]
    assert await active_reservations(hub, order["id"]) == {}


class StockThief:
    """An asynchronous check that, the first time an order is checked, lets another
    transaction take stock at Paris (a concurrent order, made certain)."""

    name = "thief"

    def __init__(self) -> None:
        self.hub: Any = None
        self.thefts = 0
        self.calls = 0

    async def check(self, context: Any) -> None:
        from orderhub.hub.stock import service as stock

        self.calls += 1
        if self.thefts:
            return None
        self.thefts += 1
        async with self.hub.transaction() as session:
            await stock.adjust(session, "TEE", "PAR-WH", -4, reason="sold at the counter")
        return None


class ThiefPlugin:
    def __init__(self, thief: StockThief) -> None:
        self.thief = thief

    @hookimpl
    def orderhub_register_checks(self, register: Any) -> None:
        register(self.thief)


THIEF = StockThief()


@pytest.mark.parametrize("extra_plugins", [[feed_plugin(), ThiefPlugin(THIEF)]])
async def test_stock_taken_while_the_checks_run_is_never_oversold(
    client, tokens, hub, world, backend
):
    """Intake plans on numbers read before the checks; what another transaction took while
    a check ran makes the reservation refused, and the batch is done again on locked rows."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: no other transaction can take stock mid-order")
    THIEF.hub, THIEF.thefts, THIEF.calls = hub, 0, 0
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    assert order["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "MRS-WH"): 2}
    assert await levels(hub) == {("TEE", "PAR-WH"): (1, 0), ("TEE", "MRS-WH"): (5, 2)}
    assert trace_lines(await _trace(hub, order["id"]), "reservation") == []
    # Planned first on Paris's 5 units, refused, checked and planned again on locked rows.
    assert (THIEF.thefts, THIEF.calls) == (1, 2)
    allocated = [
        e for e in await history(client, tokens, order["id"]) if e["action"] == "allocated"
    ]
    assert len(allocated) == 1 and allocated[0]["detail"]["attempts"] == 1


async def test_refused_reservation_is_planned_again_with_fresh_numbers(
    client, tokens, hub, world, backend
):
    """Re-allocating one order plans on numbers read without locks: when another
    transaction takes the stock before the reservation, the reservation is refused and the
    order planned again."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: no other transaction can take stock mid-order")
    from orderhub.hub.allocation import engine
    from orderhub.hub.allocation.snapshot import load_snapshot
    from orderhub.hub.orders import aggregate
    from orderhub.hub.stock import service as stock

    # Nothing in stock: the order waits as a backorder, holding no reservation.
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    assert order["status"] == "backordered"
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5})
    async with hub.transaction() as session:
        rows = await aggregate.lock_order(session, order["id"])
        policy = hub.policies.for_connection("phone")
        seen = await load_snapshot(session, policy, {"TEE"}, with_incoming=False)
        async with hub.transaction() as other:
            await stock.adjust(other, "TEE", "PAR-WH", -4, reason="sold at the counter")
        outcome = await engine.allocate(hub, session, rows, cause="test", snapshot=seen)
    assert outcome.attempts == 2
    assert await active_reservations(hub, order["id"]) == {("TEE", "MRS-WH"): 2}
    assert await levels(hub) == {("TEE", "PAR-WH"): (1, 0), ("TEE", "MRS-WH"): (5, 2)}
    assert trace_lines(await _trace(hub, order["id"]), "reservation") == [
        "dropped: attempt 1: reservation of 2 × TEE at PAR-WH refused: another order took "
        "the stock; planned again with fresh stock numbers"
    ]
