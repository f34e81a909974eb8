"""Holds (listed, placed, cleared with who and why), edits before release, re-routes and the
routing simulator, through the API on both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from orderhub.core.model import SYSTEM, OrderStatus
from orderhub.hub.orders import service
from orderhub.hub.store.tables import (
    CounterRow,
    OrderHistoryRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
)
from orderhub.hub.testing import auth

from .conftest import active_reservations, history, levels, order_body, place, set_stock


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "connections": {
            "phone": {"connector": "manual", "feeds_from": ["PAR-WH", "MRS-WH"]},
            "swap": {
                "connector": "manual",
                "feeds_from": ["PAR-WH"],
                "substitution": {"mode": "apply"},
            },
        }
    }


async def count(hub: Any, table: Any) -> int:
    async with hub.read() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(table))


async def snapshot(hub: Any) -> tuple[Any, ...]:
    """Everything an operation that must change nothing could change."""
    async with hub.read() as session:
        versions = sorted((await session.execute(sa.select(OrderRow.id, OrderRow.version))).all())
        lines = sorted(
            (
                await session.execute(
                    sa.select(
                        OrderLineRow.id,
                        OrderLineRow.quantity,
                        OrderLineRow.quantity_allocated,
                        OrderLineRow.quantity_backordered,
                        OrderLineRow.quantity_cancelled,
                    )
                )
            ).all()
        )
    return (
        versions,
        lines,
        await levels(hub),
        await active_reservations(hub),
        await count(hub, OrderHistoryRow),
        await count(hub, OutboxRow),
        await count(hub, CounterRow),
    )


async def get(client: Any, tokens: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await client.get(f"/orders/{order_id}", headers=auth(tokens["operator"]))
    assert response.status_code == 200
    return response.json()


# ------------------------------------------------------------------------------ holds


async def test_checks_hold_and_clearing_allocates_with_who_and_why(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    body = order_body(("TEE", 2), connection="phone", financial_status="pending")
    del body["shipping_address"]["postal_code"]
    order = await place(client, tokens, body)
    assert order["status"] == "on_hold"
    holds = {hold["reason"]: hold for hold in order["holds"]}
    assert set(holds) == {"payment", "address"}
    assert holds["payment"]["source"] == "preprocess.payment"
    assert holds["payment"]["detail"] == (
        "payment is pending; this channel needs it authorized before fulfillment"
    )
    assert "missing postal code" in holds["address"]["detail"]
    assert await active_reservations(hub) == {}

    listed = await client.get("/holds?reason=payment", headers=auth(tokens["read-only"]))
    assert listed.status_code == 200
    assert [(h["order_id"], h["order_number"], h["reason"]) for h in listed.json()["items"]] == [
        (order["id"], order["number"], "payment")
    ]
    everything = (await client.get("/holds", headers=auth(tokens["read-only"]))).json()["items"]
    assert {h["reason"] for h in everything} == {"payment", "address"}

    operator = auth(tokens["operator"])
    url = f"/orders/{order['id']}/holds/{holds['payment']['id']}/release"
    refused = await client.post(url, json={"note": "paid"}, headers=auth(tokens["read-only"]))
    assert refused.status_code == 403
    first = await client.post(url, json={"note": "paid by bank transfer"}, headers=operator)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "on_hold"  # the address hold remains
    assert await active_reservations(hub) == {}

    url = f"/orders/{order['id']}/holds/{holds['address']['id']}/release"
    second = await client.post(url, json={"note": "customer gave it by phone"}, headers=operator)
    assert second.status_code == 200, second.text
    cleared = second.json()
    assert cleared["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 2}
    by_reason = {hold["reason"]: hold for hold in cleared["holds"]}
    assert by_reason["payment"]["released_by"] == "user:test-operator"
    assert by_reason["payment"]["release_note"] == "paid by bank transfer"
    entries = [
        e for e in await history(client, tokens, order["id"]) if e["action"] == "hold_released"
    ]
    assert [(e["actor"]["name"], e["reason"]) for e in entries] == [
        ("test-operator", "paid by bank transfer"),
        ("test-operator", "customer gave it by phone"),
    ]
    assert (await client.get("/holds", headers=operator)).json()["items"] == []


async def test_cancelling_a_held_order_closes_its_holds(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    body = order_body(("TEE", 1), connection="phone", financial_status="pending")
    order = await place(client, tokens, body)
    assert order["status"] == "on_hold"
    operator = auth(tokens["operator"])
    assert [
        h["order_id"] for h in (await client.get("/holds", headers=operator)).json()["items"]
    ] == [order["id"]]

    cancelled = await client.post(
        f"/orders/{order['id']}/cancel",
        json={"reason": "customer changed their mind"},
        headers=operator,
    )

    assert cancelled.status_code == 200, cancelled.text
    (hold,) = cancelled.json()["holds"]
    assert hold["released_by"] == "user:test-operator"
    assert hold["release_note"] == "order cancelled"
    assert (await client.get("/holds", headers=operator)).json()["items"] == []
    (entry,) = [
        e for e in await history(client, tokens, order["id"]) if e["action"] == "lines_cancelled"
    ]
    assert entry["detail"]["holds_closed"] == 1


async def test_bad_hold_clearings_change_nothing(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    order = await place(
        client, tokens, order_body(("TEE", 1), connection="phone", financial_status="pending")
    )
    (hold,) = order["holds"]
    headers = auth(tokens["operator"])
    base = f"/orders/{order['id']}/holds"
    ok = await client.post(f"{base}/{hold['id']}/release", json={"note": "ok"}, headers=headers)
    assert ok.status_code == 200
    before = await snapshot(hub)

    again = await client.post(f"{base}/{hold['id']}/release", json={"note": "x"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "hold_already_released"
    assert again.json()["error"]["details"]["released_by"] == "user:test-operator"
    missing = await client.post(f"{base}/hld_nope/release", json={"note": "x"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_hold"
    no_order = await client.post(
        f"/orders/ord_nope/holds/{hold['id']}/release", json={"note": "x"}, headers=headers
    )
    assert no_order.status_code == 404
    assert no_order.json()["error"]["code"] == "unknown_order"
    empty_note = await client.post(
        f"{base}/{hold['id']}/release", json={"note": ""}, headers=headers
    )
    assert empty_note.status_code == 400
    assert await snapshot(hub) == before


async def test_manual_hold_keeps_reservations_until_cleared(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    headers = auth(tokens["operator"])
    held = await client.post(
        f"/orders/{order['id']}/holds", json={"detail": "customer asked to wait"}, headers=headers
    )
    assert held.status_code == 201, held.text
    assert held.json()["status"] == "on_hold"
    (hold,) = held.json()["holds"]
    assert (hold["reason"], hold["source"]) == ("manual", "user:test-operator")
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 2}
    cleared = await client.post(
        f"/orders/{order['id']}/holds/{hold['id']}/release", json={"note": "go"}, headers=headers
    )
    assert cleared.json()["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 2}


# ------------------------------------------------------------------------------ edits


async def test_edit_quantities_and_cancel_a_line_reservations_follow(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("MUG", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    order = await place(client, tokens, order_body(("TEE", 2), ("MUG", 1), connection="phone"))
    tee, mug = order["lines"]
    headers = auth(tokens["operator"])
    response = await client.patch(
        f"/orders/{order['id']}",
        json={
            "lines": [{"id": tee["id"], "quantity": 4}, {"id": mug["id"], "cancel": True}],
            "reason": "customer called",
        },
        headers={**headers, "If-Match": str(order["version"])},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["status"] == "allocated"
    assert [
        (ln["sku"], ln["quantity"], ln["quantity_cancelled"], ln["quantity_allocated"])
        for ln in edited["lines"]
    ] == [
        ("TEE", 4, 0, 4),
        ("MUG", 1, 1, 0),
    ]
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 4}
    assert await levels(hub) == {
        ("TEE", "PAR-WH"): (5, 4),
        ("MUG", "PAR-WH"): (5, 0),
        ("TEE", "MRS-WH"): (0, 0),
    }
    assert edited["totals"]["subtotal"]["amount"] == 4 * 2000 + 1000
    (entry,) = [e for e in await history(client, tokens, order["id"]) if e["action"] == "edited"]
    assert entry["detail"]["from_version"] == order["version"]
    assert entry["detail"]["changes"]["lines"] == {
        tee["id"]: {"quantity": {"from": 2, "to": 4}},
        mug["id"]: {"cancelled": 1},
    }
    assert entry["reason"] == "customer called"
    assert edited["version"] > order["version"]


async def test_edit_address_clears_the_address_hold_and_allocates(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    body = order_body(("TEE", 1), connection="phone")
    body["shipping_address"]["postal_code"] = "7500"
    order = await place(client, tokens, body)
    assert [h["reason"] for h in order["holds"]] == ["address"]
    fixed = {**body["shipping_address"], "postal_code": "75001"}
    response = await client.patch(
        f"/orders/{order['id']}",
        json={"version": order["version"], "shipping_address": fixed},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["status"] == "allocated"
    assert edited["shipping_address"]["postal_code"] == "75001"
    assert edited["holds"][0]["release_note"] == "decided again after an edit"
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 1}


async def test_bad_edits_are_refused_and_change_nothing(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0})
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    line_id = order["lines"][0]["id"]
    url = f"/orders/{order['id']}"
    headers = auth(tokens["operator"])
    before = await snapshot(hub)

    async def refused(body: dict[str, Any], status: int, code: str, **extra: str) -> None:
        response = await client.patch(url, json=body, headers={**headers, **extra})
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    version = order["version"]
    await refused({"lines": [{"id": line_id, "quantity": 3}]}, 422, "version_required")
    await refused(
        {"version": version - 1, "lines": [{"id": line_id, "quantity": 3}]}, 409, "version_mismatch"
    )
    await refused(
        {"lines": [{"id": line_id, "quantity": 3}]}, 409, "version_mismatch", **{"If-Match": '"1"'}
    )
    await refused(
        {"version": version, "lines": [{"id": line_id, "quantity": 0}]}, 422, "invalid_quantity"
    )
    await refused(
        {"version": version, "lines": [{"id": line_id, "quantity": -1}]}, 422, "invalid_quantity"
    )
    await refused(
        {"version": version, "lines": [{"id": "lin_nope", "quantity": 1}]}, 422, "unknown_line"
    )
    await refused({"version": version}, 422, "empty_edit")
    await refused(
        {"version": version, "lines": [{"id": line_id, "quantity": "2"}]}, 400, "invalid_request"
    )
    assert await snapshot(hub) == before

    # Once shipped, neither the order nor its line can change.
    async with hub.transaction() as session:
        row = await service.get_order_row(session, order["id"], for_update=True)
        await service.change_status(session, row, OrderStatus.RELEASED, SYSTEM)
        line = await session.get(OrderLineRow, line_id)
        line.quantity_shipped, line.quantity_allocated = 2, 0
        await service.change_status(session, row, OrderStatus.SHIPPED, SYSTEM)
    shipped = await get(client, tokens, order["id"])
    before = await snapshot(hub)
    await refused(
        {"version": shipped["version"], "lines": [{"id": line_id, "quantity": 1}]},
        409,
        "order_not_editable",
    )
    assert await snapshot(hub) == before


# ------------------------------------------------------------------------------ re-route


async def test_operator_reroute_to_a_forced_location(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 2}
    headers = auth(tokens["operator"])
    before = await snapshot(hub)
    unknown = await client.post(
        f"/orders/{order['id']}/reroute", json={"location": "NOPE"}, headers=headers
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_location")
    assert await snapshot(hub) == before

    response = await client.post(
        f"/orders/{order['id']}/reroute",
        json={"location": "MRS-WH", "reason": "Paris is closed today"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "allocated"
    assert await active_reservations(hub, order["id"]) == {("TEE", "MRS-WH"): 2}
    assert await levels(hub) == {("TEE", "PAR-WH"): (5, 0), ("TEE", "MRS-WH"): (5, 2)}
    async with hub.read() as session:
        trace = (await session.get(OrderRow, order["id"])).routing_trace
    assert trace[0] == {
        "rule": "operator",
        "location": "MRS-WH",
        "decision": "kept",
        "reason": "an operator chose this location: the channel's routing rules do not apply",
    }
    actions = [
        (e["action"], e["actor"]["name"]) for e in await history(client, tokens, order["id"])
    ]
    assert ("rerouted", "test-operator") in actions
    assert actions[-2:] == [("allocated", "test-operator"), ("status_changed", "test-operator")]


# ------------------------------------------------------------------------------ simulate


async def test_simulate_changes_nothing(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 1, ("TEE", "MRS-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 1), connection="phone"))
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 1}
    headers = auth(tokens["read-only"])
    before = await snapshot(hub)

    existing = await client.post(
        "/routing/simulate", json={"order_id": order["id"]}, headers=headers
    )
    assert existing.status_code == 200, existing.text
    result = existing.json()
    # Its own reservation counts as available: a re-route now would keep it in Paris.
    assert [(g["location"], g["lines"]) for g in result["groups"]] == [
        ("PAR-WH", {order["lines"][0]["id"]: 1})
    ]
    assert (
        result["explanation"].splitlines()[-1]
        == "[plan] kept: 1 unit from PAR-WH (ship from warehouse)"
    )

    new = await client.post(
        "/routing/simulate",
        json={"order": order_body(("TEE", 3), connection="phone", financial_status="pending")},
        headers=headers,
    )
    assert new.status_code == 200, new.text
    result = new.json()
    assert [(g["location"], g["lines"]) for g in result["groups"]] == [("MRS-WH", {"0": 3})]
    assert [h["reason"] for h in result["holds"]] == ["payment"]
    assert result["promised_date"] is not None
    assert await snapshot(hub) == before

    for body, code in (
        ({}, "invalid_simulation"),
        ({"order_id": order["id"], "order": order_body(("TEE", 1))}, "invalid_simulation"),
        ({"order": order_body(("NOPE", 1))}, "unknown_sku"),
    ):
        bad = await client.post("/routing/simulate", json=body, headers=headers)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, code)
    missing = await client.post("/routing/simulate", json={"order_id": "ord_x"}, headers=headers)
    assert missing.status_code == 404
    assert await snapshot(hub) == before


async def test_routing_rules_lists_rules_and_channel_settings(client, tokens, hub, world):
    response = await client.get("/routing/rules", headers=auth(tokens["read-only"]))
    assert response.status_code == 200
    body = response.json()
    kinds = {rule["name"]: rule["kind"] for rule in body["available"]}
    assert kinds["destination"] == "filter" and kinds["distance"] == "sort"
    phone = next(c for c in body["channels"] if c["connection"] == "phone")
    assert phone["feeds_from"] == ["PAR-WH", "MRS-WH"]
    assert phone["rules"] == ["destination", "capacity", "fewest_splits", "distance", "priority"]


# ------------------------------------------------------------------------------ substitution


async def test_substitute_applied_where_the_channel_allows(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 1, ("TEE-V2", "PAR-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 3), connection="swap"))
    assert order["status"] == "allocated"
    assert [
        (ln["sku"], ln["quantity"], ln["quantity_cancelled"], ln["quantity_allocated"])
        for ln in order["lines"]
    ] == [("TEE", 3, 2, 1), ("TEE-V2", 2, 0, 2)]
    assert order["lines"][1]["unit_price"] == order["lines"][0]["unit_price"]
    assert await active_reservations(hub, order["id"]) == {
        ("TEE", "PAR-WH"): 1,
        ("TEE-V2", "PAR-WH"): 2,
    }
    (entry,) = [
        e for e in await history(client, tokens, order["id"]) if e["action"] == "line_substituted"
    ]
    assert entry["detail"]["substitute"] == "TEE-V2"
    assert entry["reason"].startswith("2 × TEE replaced by TEE-V2")


async def test_substitute_proposed_by_default(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 0, ("TEE", "MRS-WH"): 0, ("TEE-V2", "PAR-WH"): 5})
    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    assert order["status"] == "backordered"
    assert [ln["sku"] for ln in order["lines"]] == ["TEE"]
    (entry,) = [
        e
        for e in await history(client, tokens, order["id"])
        if e["action"] == "substitute_proposed"
    ]
    assert entry["detail"]["options"] == ["TEE-V2"]
    assert entry["reason"] == "TEE is short by 2; substitutes in stock: TEE-V2 (5 available)"


# ------------------------------------------------------------------------------ release


async def test_release_hands_an_allocated_order_to_fulfillment(client, tokens, hub, world):
    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 0, ("MUG", "PAR-WH"): 0})
    headers = auth(tokens["operator"])
    waiting = await place(client, tokens, order_body(("MUG", 1), connection="phone"))
    assert waiting["status"] == "backordered"
    before = await snapshot(hub)
    refused = await client.post(f"/orders/{waiting['id']}/release", headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "order_not_releasable")
    assert await snapshot(hub) == before

    order = await place(client, tokens, order_body(("TEE", 2), connection="phone"))
    response = await client.post(f"/orders/{order['id']}/release", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "released"
    actions = [e["action"] for e in await history(client, tokens, order["id"])]
    assert "fulfillment_released" in actions
    # Released: no longer editable, reservations kept until shipment.
    assert await active_reservations(hub, order["id"]) == {("TEE", "PAR-WH"): 2}
    again = await client.post(f"/orders/{order['id']}/release", headers=headers)
    assert again.status_code == 409
