"""Incoming stock, receipts, transfers and counts: backorders follow the stock, counts keep
reservations, and bad input changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.hub.store.tables import IncomingStockRow, OrderHistoryRow, StockMovementRow
from orderhub.hub.testing import auth

from .conftest import active_reservations, history, levels, order_body, place, set_stock


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "connections": {
            "phone": {"connector": "manual", "feeds_from": ["PAR-WH", "MRS-WH"]},
            "paris": {"connector": "manual", "feeds_from": ["PAR-WH"]},
            "pre": {"connector": "manual", "feeds_from": ["PAR-WH"], "routing": {"preorder": True}},
        }
    }


async def count(hub: Any, table: Any) -> int:
    async with hub.read() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(table))


async def state(hub: Any) -> tuple[Any, ...]:
    return (
        await levels(hub),
        await active_reservations(hub),
        await count(hub, StockMovementRow),
        await count(hub, IncomingStockRow),
        await count(hub, OrderHistoryRow),
    )


async def test_bad_stock_input_is_refused_and_changes_nothing(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5})
    headers = auth(tokens["operator"])
    before = await state(hub)
    soon = (date.today() + timedelta(days=3)).isoformat()
    cases = [
        ("/stock/NOPE/PAR-WH/receipts", {"quantity": 1}, 404, "unknown_sku"),
        ("/stock/TEE/NOPE/receipts", {"quantity": 1}, 404, "unknown_location"),
        ("/stock/TEE/PAR-WH/receipts", {"quantity": 0}, 422, "invalid_quantity"),
        ("/stock/TEE/PAR-WH/receipts", {"quantity": -2}, 422, "invalid_quantity"),
        (
            "/incoming",
            {
                "sku": "TEE",
                "location": "PAR-WH",
                "quantity": 0,
                "expected_on": soon,
                "reference": "PO",
            },
            422,
            "invalid_quantity",
        ),
        (
            "/incoming",
            {
                "sku": "NOPE",
                "location": "PAR-WH",
                "quantity": 1,
                "expected_on": soon,
                "reference": "PO",
            },
            404,
            "unknown_sku",
        ),
        (
            "/stock/transfers",
            {"sku": "TEE", "from_location": "PAR-WH", "to_location": "PAR-WH", "quantity": 1},
            422,
            "same_location",
        ),
        (
            "/stock/transfers",
            {"sku": "TEE", "from_location": "PAR-WH", "to_location": "NOPE", "quantity": 1},
            404,
            "unknown_location",
        ),
        (
            "/stock/transfers",
            {"sku": "TEE", "from_location": "PAR-WH", "to_location": "MRS-WH", "quantity": 6},
            409,
            "insufficient_stock",
        ),
        (
            "/stock/transfers",
            {"sku": "TEE", "from_location": "PAR-WH", "to_location": "MRS-WH", "quantity": -1},
            422,
            "invalid_quantity",
        ),
        (
            "/stock/counts",
            {
                "counts": [
                    {"sku": "TEE", "location": "PAR-WH", "counted": 2},
                    {"sku": "NOPE", "location": "PAR-WH", "counted": 1},
                ]
            },
            404,
            "unknown_sku",
        ),
        (
            "/stock/counts",
            {"counts": [{"sku": "TEE", "location": "PAR-WH", "counted": -1}]},
            422,
            "negative_quantity",
        ),
        ("/stock/counts", {"counts": []}, 422, "empty_count"),
    ]
    for url, body, status, code in cases:
        response = await client.post(url, json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            url,
            body,
        )
    assert await state(hub) == before


async def test_warehouse_token_acts_only_at_its_locations(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5})
    response = await client.post(
        "/stock/TEE/PAR-WH/receipts", json={"quantity": 1}, headers=auth(tokens["warehouse"])
    )
    assert response.status_code == 403


async def test_count_includes_reserved_units_and_takes_back_from_the_newest(
    client, tokens, hub, world
):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5})
    older = await place(
        client,
        tokens,
        order_body(("TEE", 2), connection="phone", placed_at="2026-01-05T10:00:00+00:00"),
    )
    newer = await place(
        client,
        tokens,
        order_body(("TEE", 2), connection="phone", placed_at="2026-01-05T11:00:00+00:00"),
    )
    assert await active_reservations(hub) == {("TEE", "PAR-WH"): 4}

    # Four units on the shelf, all reserved: the count matches, nothing moves.
    response = await client.post(
        "/stock/counts",
        json={"counts": [{"sku": "TEE", "location": "PAR-WH", "counted": 4}], "reference": "CC-1"},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 200, response.text
    (line,) = response.json()["items"]
    assert (line["on_hand_before"], line["reserved"], line["available"]) == (5, 4, 0)
    assert line["reservations_given_back"] == 0

    # Three on the shelf: the newest order loses its Paris units and is routed again.
    response = await client.post(
        "/stock/counts",
        json={"counts": [{"sku": "TEE", "location": "PAR-WH", "counted": 3}]},
        headers=auth(tokens["operator"]),
    )
    (line,) = response.json()["items"]
    assert line["reservations_given_back"] == 2
    assert (line["reserved"], line["available"]) == (2, 1)
    assert await active_reservations(hub, older["id"]) == {("TEE", "PAR-WH"): 2}
    assert await active_reservations(hub, newer["id"]) == {("TEE", "MRS-WH"): 2}
    actions = [e["action"] for e in await history(client, tokens, newer["id"])]
    assert "reservation_lost" in actions and actions[-2:] == ["allocated", "status_changed"]
    assert await levels(hub) == {("TEE", "PAR-WH"): (3, 2), ("TEE", "MRS-WH"): (5, 2)}


async def test_count_above_reservations_fills_backorders(client, tokens, hub, world):
    await set_stock(hub, {("MUG", "PAR-WH"): 0})
    waiting = await place(client, tokens, order_body(("MUG", 2), connection="paris"))
    assert waiting["status"] == "backordered"
    response = await client.post(
        "/stock/counts",
        json={"counts": [{"sku": "MUG", "location": "PAR-WH", "counted": 3}]},
        headers=auth(tokens["operator"]),
    )
    (line,) = response.json()["items"]
    assert [(f["order_id"], f["quantity"]) for f in line["filled"]] == [(waiting["id"], 2)]
    assert (line["reserved"], line["available"]) == (2, 1)


async def test_transfers_move_available_units_now_or_as_incoming(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    reserved = await place(client, tokens, order_body(("TEE", 2), connection="paris"))
    assert reserved["status"] == "allocated"
    headers = auth(tokens["operator"])
    # Only the 3 unreserved units may leave Paris.
    refused = await client.post(
        "/stock/transfers",
        json={"sku": "TEE", "from_location": "PAR-WH", "to_location": "MRS-WH", "quantity": 4},
        headers=headers,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["available"] == 3

    now = await client.post(
        "/stock/transfers",
        json={
            "sku": "TEE",
            "from_location": "PAR-WH",
            "to_location": "MRS-WH",
            "quantity": 1,
            "reference": "T-1",
        },
        headers=headers,
    )
    assert now.status_code == 201, now.text
    assert await levels(hub) == {("TEE", "PAR-WH"): (4, 2), ("TEE", "MRS-WH"): (1, 0)}

    later = (date.today() + timedelta(days=2)).isoformat()
    on_its_way = await client.post(
        "/stock/transfers",
        json={
            "sku": "TEE",
            "from_location": "PAR-WH",
            "to_location": "MRS-WH",
            "quantity": 2,
            "expected_on": later,
        },
        headers=headers,
    )
    assert on_its_way.status_code == 201, on_its_way.text
    reference = on_its_way.json()["reference"]
    lots = (await client.get("/incoming?location=MRS-WH", headers=headers)).json()["items"]
    assert [
        (lot["sku"], lot["quantity"], lot["reference"], lot["expected_on"]) for lot in lots
    ] == [("TEE", 2, reference, later)]
    assert await levels(hub) == {("TEE", "PAR-WH"): (2, 2), ("TEE", "MRS-WH"): (1, 0)}
    arrived = await client.post(
        "/stock/TEE/MRS-WH/receipts", json={"quantity": 2, "reference": reference}, headers=headers
    )
    assert arrived.json()["incoming_id"] == lots[0]["id"]
    assert await levels(hub) == {("TEE", "PAR-WH"): (2, 2), ("TEE", "MRS-WH"): (3, 0)}
    assert (await client.get("/incoming?location=MRS-WH", headers=headers)).json()["items"] == []


async def test_cancelling_a_preorder_gives_the_incoming_units_back(client, tokens, hub, world):
    headers = auth(tokens["operator"])
    expected = (date.today() + timedelta(days=5)).isoformat()
    await client.post(
        "/incoming",
        json={
            "sku": "SOFA",
            "location": "PAR-WH",
            "quantity": 3,
            "expected_on": expected,
            "reference": "PO-1",
        },
        headers=headers,
    )
    order = await place(client, tokens, order_body(("SOFA", 2), connection="pre"))
    assert order["status"] == "backordered"
    lots = (await client.get("/incoming?sku=SOFA", headers=headers)).json()["items"]
    assert lots[0]["promised"] == 2
    cancelled = await client.post(
        f"/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=headers
    )
    assert cancelled.status_code == 200, cancelled.text
    lots = (await client.get("/incoming?sku=SOFA", headers=headers)).json()["items"]
    assert lots[0]["promised"] == 0
    # A plain backorder channel does not promise incoming units at all.
    plain = await place(client, tokens, order_body(("SOFA", 1), connection="paris"))
    assert plain["status"] == "backordered"
    lots = (await client.get("/incoming?sku=SOFA", headers=headers)).json()["items"]
    assert lots[0]["promised"] == 0


async def test_stock_audit_counts_oversold_units_and_ledger_gaps(client, tokens, hub, world):
    from orderhub.hub.allocation.audit import audit_stock
    from orderhub.hub.store.tables import StockLevelRow

    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    await place(client, tokens, order_body(("TEE", 3), connection="paris"))
    async with hub.read() as session:
        clean = await audit_stock(session)
    assert (clean.oversold, clean.ledger_mismatch, clean.reserved) == (0, 0, 3)
    # Break the row behind the services' back: 4 reserved of 2 on hand, the ledger says 3.
    async with hub.transaction() as session:
        await session.execute(
            sa.update(StockLevelRow)
            .where(StockLevelRow.reserved == 3)
            .values(on_hand=2, reserved=4)
        )
    async with hub.read() as session:
        broken = await audit_stock(session)
    assert (broken.oversold, broken.ledger_mismatch) == (2, 1)
