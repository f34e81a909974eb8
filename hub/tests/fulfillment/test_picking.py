"""Pick lists and pick confirmation through the API; short picks re-route through allocation."""

from __future__ import annotations

import pytest

from orderhub.core.model import OrderStatus
from orderhub.hub.stock.service import levels
from orderhub.hub.store.tables import LocationRow, StockMovementRow
from orderhub.hub.testing import auth

from .conftest import (
    SHOP,
    active_reservations,
    allocated_order,
    drain,
    groups_of,
    history,
    order_lines,
    order_row,
    outbox,
    released_group,
    rows,
    stock,
)


async def location_ids(hub) -> dict[str, int]:
    return {row.code: row.id for row in await rows(hub, LocationRow)}


async def level(hub, sku: str, location: str) -> tuple[int, int]:
    async with hub.read() as session:
        [found] = await levels(session, skus=[sku], location=location)
    return found.on_hand, found.reserved


async def test_the_pick_list_shows_released_groups_with_totals_per_sku(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 10, "MUG": 10})
    first = await allocated_order(hub, [("TEE", 2), ("MUG", 1)], external_id="1001")
    second = await allocated_order(hub, [("TEE", 3)], external_id="1002")
    group_one = await released_group(hub, first.id)
    group_two = await released_group(hub, second.id)

    answer = await client.get("/locations/WH1/pick-lists", headers=auth(tokens["warehouse"]))
    other = await client.get("/locations/WH2/pick-lists", headers=auth(tokens["warehouse"]))
    unknown = await client.get("/locations/NOPE/pick-lists", headers=auth(tokens["admin"]))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [f["fulfillment_id"] for f in body["fulfillments"]] == [group_one, group_two]
    assert body["fulfillments"][0]["order_number"] == "#1001"
    assert body["fulfillments"][0]["ship_to_country"] == "US"
    assert [(line["sku"], line["quantity"]) for line in body["fulfillments"][0]["lines"]] == [
        ("TEE", 2),
        ("MUG", 1),
    ]
    assert body["totals"] == [
        {"sku": "MUG", "name": "Mug", "quantity": 1},
        {"sku": "TEE", "name": "Tee", "quantity": 5},
    ]
    assert other.status_code == 403  # the warehouse token is scoped to WH1
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_location"


async def test_a_full_pick_moves_the_group_to_packing(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 2)])
    group_id = await released_group(hub, order.id)
    [line] = (await groups_of(hub, order.id))[0].lines

    answer = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 2}]},
        headers=auth(tokens["warehouse"]),
    )
    twice = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 2}]},
        headers=auth(tokens["warehouse"]),
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "picking"
    assert answer.json()["lines"][0]["quantity_picked"] == 2
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_pickable"
    assert await level(hub, "TEE", "WH1") == (5, 2)  # still reserved until it ships


async def test_a_short_pick_lowers_on_hand_and_reroutes_the_missing_units(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 2}, WH2={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 2)])
    group_id = await released_group(hub, order.id, "WH1")
    [line] = (await groups_of(hub, order.id))[0].lines

    answer = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 1}]},
        headers=auth(tokens["warehouse"]),
    )

    assert answer.status_code == 200, answer.text
    picked = answer.json()["lines"][0]
    assert (picked["quantity"], picked["quantity_picked"], picked["quantity_short"]) == (1, 1, 1)
    ids = await location_ids(hub)
    assert sorted(await active_reservations(hub, order.id)) == sorted(
        [(line.line_id, ids["WH1"], 1), (line.line_id, ids["WH2"], 1)]
    )
    assert await level(hub, "TEE", "WH1") == (1, 1)  # one unit was not there
    assert await level(hub, "TEE", "WH2") == (5, 1)
    [movement] = await rows(hub, StockMovementRow, StockMovementRow.reason == "short pick")
    assert (movement.delta, movement.reference) == (-1, group_id)
    groups = {g.location: g for g in await groups_of(hub, order.id)}
    assert groups["WH2"].status == "released"  # the re-routed unit, released by its rule
    assert [(x.sku, x.quantity) for x in groups["WH2"].lines] == [("TEE", 1)]
    [order_line] = await order_lines(hub, order.id)
    assert order_line.quantity_allocated == 2 and order_line.quantity_backordered == 0
    assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
    actions = [h.action for h in await history(hub, order.id)]
    assert "picks_confirmed" in actions and actions.count("allocated") == 2


async def test_a_short_pick_with_no_stock_elsewhere_waits_as_a_backorder(
    hub, places, client, tokens
):
    await stock(hub, WH1={"TEE": 3})
    order = await allocated_order(hub, [("TEE", 3)])
    group_id = await released_group(hub, order.id)
    [line] = (await groups_of(hub, order.id))[0].lines

    answer = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 1}]},
        headers=auth(tokens["operator"]),
    )

    assert answer.status_code == 200, answer.text
    [order_line] = await order_lines(hub, order.id)
    assert (order_line.quantity_allocated, order_line.quantity_backordered) == (1, 2)
    assert await level(hub, "TEE", "WH1") == (1, 1)
    assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
    assert [g.location for g in await groups_of(hub, order.id)] == ["WH1"]


async def test_nothing_found_cancels_the_group(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 1}, WH2={"TEE": 1})
    order = await allocated_order(hub, [("TEE", 1)])
    group_id = await released_group(hub, order.id)
    [line] = (await groups_of(hub, order.id))[0].lines

    answer = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 0}]},
        headers=auth(tokens["warehouse"]),
    )

    assert answer.json()["status"] == "cancelled"
    assert {g.location: g.status for g in await groups_of(hub, order.id)} == {
        "WH1": "cancelled",
        "WH2": "released",
    }


async def test_bad_picks_are_refused_and_change_nothing(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 5, "MUG": 5}, WH2={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 2), ("MUG", 1)])
    group_id = await released_group(hub, order.id)
    tee, mug = (await groups_of(hub, order.id))[0].lines
    headers = auth(tokens["warehouse"])
    url = f"/fulfillments/{group_id}/picks"

    cases = {
        "lines_missing": {"lines": [{"line_id": tee.line_id, "found": 2}]},
        "found_more_than_asked": {
            "lines": [
                {"line_id": tee.line_id, "found": 3},
                {"line_id": mug.line_id, "found": 1},
            ]
        },
        "unknown_line": {
            "lines": [
                {"line_id": tee.line_id, "found": 2},
                {"line_id": mug.line_id, "found": 1},
                {"line_id": "lin_nope", "found": 1},
            ]
        },
        "duplicate_line": {
            "lines": [
                {"line_id": tee.line_id, "found": 2},
                {"line_id": tee.line_id, "found": 1},
                {"line_id": mug.line_id, "found": 1},
            ]
        },
    }
    for code, body in cases.items():
        answer = await client.post(url, json=body, headers=headers)
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["error"]["code"] == code
    negative = await client.post(
        url, json={"lines": [{"line_id": tee.line_id, "found": -1}]}, headers=headers
    )
    as_text = await client.post(
        url, json={"lines": [{"line_id": tee.line_id, "found": "2"}]}, headers=headers
    )
    assert negative.status_code == 400 and as_text.status_code == 400
    assert (await groups_of(hub, order.id))[0].status == "released"
    assert await level(hub, "TEE", "WH1") == (5, 2)


async def test_a_warehouse_token_picks_only_at_its_locations(hub, places, client, tokens):
    await stock(hub, WH2={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 1)])
    group_id = await released_group(hub, order.id, "WH2")
    [line] = (await groups_of(hub, order.id))[0].lines
    body = {"lines": [{"line_id": line.line_id, "found": 1}]}

    refused = await client.post(
        f"/fulfillments/{group_id}/picks", json=body, headers=auth(tokens["warehouse"])
    )
    read_only = await client.post(
        f"/fulfillments/{group_id}/picks", json=body, headers=auth(tokens["read-only"])
    )
    unknown = await client.post(
        "/fulfillments/ful_nope/picks", json=body, headers=auth(tokens["operator"])
    )

    assert refused.status_code == 403 and read_only.status_code == 403
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_fulfillment"


async def test_an_order_cancelled_after_release_leaves_the_pick_list(hub, places, client, tokens):
    from orderhub.hub.fulfillment.jobs import RELEASE
    from orderhub.hub.orders.service import cancel_order

    await stock(hub, WH1={"TEE": 5})
    order = await allocated_order(hub, [("TEE", 1)])
    group_id = await released_group(hub, order.id)
    [line] = (await groups_of(hub, order.id))[0].lines
    async with hub.transaction() as session:
        await cancel_order(session, order.id, actor=RELEASE, reason="fraud confirmed")

    listed = await client.get("/locations/WH1/pick-lists", headers=auth(tokens["warehouse"]))
    picks = await client.post(
        f"/fulfillments/{group_id}/picks",
        json={"lines": [{"line_id": line.line_id, "found": 1}]},
        headers=auth(tokens["warehouse"]),
    )

    assert listed.json()["fulfillments"] == []
    assert picks.status_code == 409 and picks.json()["error"]["code"] == "order_cancelled"
    assert await level(hub, "TEE", "WH1") == (5, 0)


async def test_a_warehouse_token_lists_its_own_locations_groups(hub, places, client, tokens):
    await stock(hub, WH1={"TEE": 1}, WH2={"MUG": 1})
    order = await allocated_order(hub, [("TEE", 1), ("MUG", 1)])
    await released_group(hub, order.id)

    mine = await client.get(f"/fulfillments?order_id={order.id}", headers=auth(tokens["warehouse"]))
    everything = await client.get(
        f"/fulfillments?order_id={order.id}", headers=auth(tokens["read-only"])
    )

    assert [g["location"] for g in mine.json()["items"]] == ["WH1"]
    assert sorted(g["location"] for g in everything.json()["items"]) == ["WH1", "WH2"]


class TestChannelPolicies:
    """The shop backorders nothing; a second channel is told what it may sell."""

    @pytest.fixture
    def hub_config(self, hub_config):
        hub_config["connections"][SHOP]["routing"] = {"backorder": "never"}
        hub_config["connections"]["feed"] = {"connector": "fulfiltest-feed"}
        return hub_config

    async def test_a_short_pick_queues_availability_pushes_like_any_stock_change(
        self, hub, places, client, tokens
    ):
        await stock(hub, WH1={"TEE": 2}, WH2={"TEE": 5})
        order = await allocated_order(hub, [("TEE", 2)])
        group_id = await released_group(hub, order.id, "WH1")
        [line] = (await groups_of(hub, order.id))[0].lines
        await drain(hub)  # earlier pushes sent: a new change needs a new row
        before = {row.id for row in await outbox(hub, "push_stock")}
        assert {row.status for row in await outbox(hub, "push_stock")} == {"done"}

        await client.post(
            f"/fulfillments/{group_id}/picks",
            json={"lines": [{"line_id": line.line_id, "found": 1}]},
            headers=auth(tokens["warehouse"]),
        )

        queued = [row for row in await outbox(hub, "push_stock") if row.id not in before]
        assert [(row.connection_id, row.coalesce_key) for row in queued] == [("feed", "stock:TEE")]

    async def test_a_released_order_that_cannot_be_held_backorders_the_missing_units(
        self, hub, places, client, tokens
    ):
        await stock(hub, WH1={"TEE": 3})
        order = await allocated_order(hub, [("TEE", 3)])
        group_id = await released_group(hub, order.id)
        [line] = (await groups_of(hub, order.id))[0].lines

        answer = await client.post(
            f"/fulfillments/{group_id}/picks",
            json={"lines": [{"line_id": line.line_id, "found": 2}]},
            headers=auth(tokens["warehouse"]),
        )

        assert answer.status_code == 200, answer.text
        [order_line] = await order_lines(hub, order.id)
        assert (order_line.quantity_allocated, order_line.quantity_backordered) == (2, 1)
        assert (await order_row(hub, order.id)).status == OrderStatus.RELEASED.value
        entries = {h.action: h for h in await history(hub, order.id)}
        assert entries["short_pick_backordered"].detail == {"short": {line.line_id: 1}}
        assert "cannot go from released to on_hold" in entries["short_pick_backordered"].reason
        assert await level(hub, "TEE", "WH1") == (2, 2)
