"""`/stock` through HTTP on SQLite and PostgreSQL: levels, counts, adjustments, the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from orderhub.hub.store.tables import StockLevelRow, StockMovementRow
from orderhub.hub.testing import auth

from .conftest import count_rows


async def level(client: Any, token: str, sku: str, location: str) -> dict[str, Any] | None:
    response = await client.get(
        "/stock", params={"sku": sku, "location": location}, headers=auth(token)
    )
    assert response.status_code == 200
    items = response.json()["items"]
    return items[0] if items else None


async def ledger_size(hub: Any) -> int:
    return await count_rows(hub, StockMovementRow)


async def test_count_then_adjust_with_ledger(client, tokens, catalog):
    warehouse = tokens["warehouse"]  # scoped to WH1
    counted = await client.put(
        "/stock/MUG/WH1",
        json={"on_hand": 10, "safety_stock": 2, "reason": "cycle count"},
        headers=auth(warehouse),
    )
    assert counted.status_code == 200, counted.text
    assert counted.json() == {
        "sku": "MUG",
        "location": "WH1",
        "on_hand": 10,
        "reserved": 0,
        "incoming": 0,
        "safety_stock": 2,
        "available": 8,
    }
    received = await client.post(
        "/stock/MUG/WH1/adjustments",
        json={"delta": 5, "reason": "delivery", "reference": "PO-17"},
        headers=auth(warehouse),
    )
    assert received.status_code == 201
    assert (received.json()["on_hand"], received.json()["available"]) == (15, 13)
    broken = await client.post(
        "/stock/MUG/WH1/adjustments",
        json={"delta": -3, "reason": "broken"},
        headers=auth(tokens["operator"]),
    )
    assert broken.json()["on_hand"] == 12
    assert await level(client, tokens["read-only"], "MUG", "WH1") == {
        **counted.json(),
        "on_hand": 12,
        "available": 10,
    }

    movements = (
        await client.get("/stock/movements", params={"sku": "MUG"}, headers=auth(warehouse))
    ).json()
    assert [
        (m["kind"], m["delta"], m["on_hand_after"], m["reason"], m["reference"], m["actor"])
        for m in movements["items"]
    ] == [
        ("adjustment", -3, 12, "broken", None, "test-operator"),
        ("adjustment", 5, 15, "delivery", "PO-17", "test-warehouse"),
        ("set", 10, 10, "cycle count", None, "test-warehouse"),
    ]
    assert movements["next_before"] is None


async def test_going_below_zero_is_409_and_changes_nothing(client, tokens, catalog, hub):
    headers = auth(tokens["operator"])
    await client.put("/stock/MUG/WH1", json={"on_hand": 2}, headers=headers)
    before = await level(client, tokens["operator"], "MUG", "WH1")
    response = await client.post(
        "/stock/MUG/WH1/adjustments", json={"delta": -3, "reason": "lost"}, headers=headers
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"] == {"sku": "MUG", "location": "WH1", "on_hand": 2, "delta": -3}
    assert await level(client, tokens["operator"], "MUG", "WH1") == before
    assert await ledger_size(hub) == 1


async def test_below_zero_where_nothing_was_ever_counted_leaves_no_level(
    client, tokens, catalog, hub
):
    response = await client.post(
        "/stock/MUG/WH2/adjustments",
        json={"delta": -1, "reason": "lost"},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 409
    assert await count_rows(hub, StockLevelRow) == 0
    assert await ledger_size(hub) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("post", "/stock/MUG/WH1/adjustments", {"delta": 0, "reason": "x"}, "zero_quantity"),
        ("put", "/stock/MUG/WH1", {"on_hand": -1}, "negative_quantity"),
        ("put", "/stock/MUG/WH1", {"on_hand": 1, "safety_stock": -2}, "negative_quantity"),
    ],
)
async def test_zero_or_negative_quantities_are_422(
    client, tokens, catalog, hub, method, path, body, code
):
    headers = auth(tokens["operator"])
    await client.put("/stock/MUG/WH1", json={"on_hand": 4}, headers=headers)
    before = await level(client, tokens["operator"], "MUG", "WH1")
    response = await getattr(client, method)(path, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert await level(client, tokens["operator"], "MUG", "WH1") == before
    assert await ledger_size(hub) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/stock/MUG/WH1/adjustments", {"delta": 2}, "reason"),
        ("post", "/stock/MUG/WH1/adjustments", {"delta": 2, "reason": ""}, "reason"),
        ("post", "/stock/MUG/WH1/adjustments", {"delta": "2", "reason": "x"}, "delta"),
        ("put", "/stock/MUG/WH1", {"on_hand": "ten"}, "on_hand"),
        ("put", "/stock/MUG/WH1", {"on_hand": 1, "location": "WH2"}, "location"),
    ],
)
async def test_bad_stock_bodies_are_400_naming_the_field(
    client, tokens, catalog, hub, method, path, body, field
):
    response = await getattr(client, method)(path, json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
    assert await count_rows(hub, StockLevelRow) == 0


@pytest.mark.parametrize(
    ("path", "code"),
    [("/stock/GHOST/WH1", "unknown_sku"), ("/stock/MUG/NOWHERE", "unknown_location")],
)
async def test_unknown_item_or_location_is_404(client, tokens, catalog, hub, path, code):
    headers = auth(tokens["admin"])
    for response in (
        await client.put(path, json={"on_hand": 1}, headers=headers),
        await client.post(f"{path}/adjustments", json={"delta": 1, "reason": "x"}, headers=headers),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == code
    assert await count_rows(hub, StockLevelRow) == 0


async def test_warehouse_token_acts_only_on_its_own_locations(client, tokens, catalog, hub):
    headers = auth(tokens["warehouse"])
    for response in (
        await client.put("/stock/MUG/WH2", json={"on_hand": 5}, headers=headers),
        await client.post(
            "/stock/MUG/WH2/adjustments", json={"delta": 5, "reason": "x"}, headers=headers
        ),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert await count_rows(hub, StockLevelRow) == 0
    # Reading is open to every role, at every location.
    await client.put("/stock/MUG/WH2", json={"on_hand": 5}, headers=auth(tokens["admin"]))
    assert (await level(client, tokens["warehouse"], "MUG", "WH2"))["on_hand"] == 5


async def test_read_only_token_cannot_change_stock(client, tokens, catalog, hub):
    headers = auth(tokens["read-only"])
    response = await client.put("/stock/MUG/WH1", json={"on_hand": 5}, headers=headers)
    assert response.status_code == 403
    assert await count_rows(hub, StockLevelRow) == 0


async def test_levels_filter_by_sku_and_location(client, tokens, catalog):
    headers = auth(tokens["admin"])
    for sku, location, on_hand in [("MUG", "WH1", 1), ("MUG", "WH2", 2), ("TSHIRT-M", "WH1", 3)]:
        await client.put(f"/stock/{sku}/{location}", json={"on_hand": on_hand}, headers=headers)

    async def rows(**params: Any) -> list[tuple[str, str, int]]:
        response = await client.get("/stock", params=params, headers=headers)
        return [(i["sku"], i["location"], i["on_hand"]) for i in response.json()["items"]]

    assert await rows() == [("MUG", "WH1", 1), ("MUG", "WH2", 2), ("TSHIRT-M", "WH1", 3)]
    assert await rows(sku="MUG") == [("MUG", "WH1", 1), ("MUG", "WH2", 2)]
    assert await rows(sku=["MUG", "TSHIRT-M"], location="WH1") == [
        ("MUG", "WH1", 1),
        ("TSHIRT-M", "WH1", 3),
    ]
    assert await rows(location="WH2") == [("MUG", "WH2", 2)]


async def test_movements_page_backwards_with_before(client, tokens, catalog):
    headers = auth(tokens["admin"])
    await client.put("/stock/MUG/WH1", json={"on_hand": 1}, headers=headers)
    for delta in (1, 2, 3, 4):
        await client.post(
            "/stock/MUG/WH1/adjustments", json={"delta": delta, "reason": "r"}, headers=headers
        )
    await client.put("/stock/TSHIRT-M/WH2", json={"on_hand": 9}, headers=headers)

    deltas, before = [], None
    while True:
        params: dict[str, Any] = {"location": "WH1", "limit": 2}
        if before is not None:
            params["before"] = before
        page = (await client.get("/stock/movements", params=params, headers=headers)).json()
        deltas.append([m["delta"] for m in page["items"]])
        before = page["next_before"]
        if before is None:
            break
    assert deltas == [[4, 3], [2, 1], [1]]
    everything = (await client.get("/stock/movements", headers=headers)).json()["items"]
    assert [(m["sku"], m["location"]) for m in everything][0] == ("TSHIRT-M", "WH2")
    assert len(everything) == 6
