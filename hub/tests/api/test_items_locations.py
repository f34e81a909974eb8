"""`/items` and `/locations` through HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from orderhub.hub.store.tables import ItemRow, LocationRow
from orderhub.hub.testing import auth

from .conftest import count_rows

SHIRT = {
    "name": "T-shirt M",
    "barcode": "4006381333931",
    "price": "19.99",
    "currency": "EUR",
    "weight_grams": 180,
    "tags": ["summer"],
    "substitutes": ["TSHIRT-L"],
    "sku_group": "apparel",
}


# ------------------------------------------------------------------------------ items


async def test_put_creates_then_replaces_an_item(client, tokens):
    headers = auth(tokens["operator"])
    created = await client.put("/items/TSHIRT-M", json=SHIRT, headers=headers)
    assert created.status_code == 201
    assert created.json() == {
        "sku": "TSHIRT-M",
        "name": "T-shirt M",
        "barcode": "4006381333931",
        "price": {"amount": 1999, "currency": "EUR"},
        "weight_grams": 180,
        "tags": ["summer"],
        "substitutes": ["TSHIRT-L"],
        "sku_group": "apparel",
        "active": True,
    }
    replaced = await client.put(
        "/items/TSHIRT-M", json={"name": "T-shirt M (old)", "active": False}, headers=headers
    )
    assert replaced.status_code == 200
    fetched = await client.get("/items/TSHIRT-M", headers=auth(tokens["read-only"]))
    assert fetched.status_code == 200
    # A PUT replaces: what the second body left out is gone.
    assert fetched.json() == {
        "sku": "TSHIRT-M",
        "name": "T-shirt M (old)",
        "barcode": None,
        "price": None,
        "weight_grams": None,
        "tags": [],
        "substitutes": [],
        "sku_group": None,
        "active": False,
    }


async def test_item_list_walks_by_sku_and_searches(client, tokens):
    headers = auth(tokens["admin"])
    skus = ["CAP-1", "MUG-BLUE", "MUG-RED", "POSTER", "SHIRT-L", "SHIRT-M", "SOCKS"]
    for sku in skus:
        name = "Blue mug" if sku == "MUG-BLUE" else f"Thing {sku.lower()}"
        response = await client.put(f"/items/{sku}", json={"name": name}, headers=headers)
        assert response.status_code == 201

    seen, pages, cursor = [], [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/items", params=params, headers=headers)).json()
        pages.append(len(page["items"]))
        seen += [item["sku"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [3, 3, 1]
    assert seen == skus

    async def search(term: str, **params: Any) -> list[str]:
        response = await client.get("/items", params={"search": term, **params}, headers=headers)
        return [item["sku"] for item in response.json()["items"]]

    assert await search("mug") == ["MUG-BLUE", "MUG-RED"]
    assert await search("BLUE") == ["MUG-BLUE"]  # by name, any case
    assert await search("shirt", cursor="SHIRT-L") == ["SHIRT-M"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "price": "1.00"}, "invalid_price"),
        ({"name": "x", "currency": "EUR"}, "invalid_price"),
        ({"name": "x", "price": "1.001", "currency": "EUR"}, "invalid_amount"),
    ],
)
async def test_bad_item_price_is_422(client, tokens, hub, body, code):
    response = await client.put("/items/X", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert await count_rows(hub, ItemRow) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "weight_grams": "heavy"}, "weight_grams"),
        ({"name": "x", "weight_grams": -1}, "weight_grams"),
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "x", "sku": "OTHER"}, "sku"),
    ],
)
async def test_bad_item_body_is_400_naming_the_field(client, tokens, hub, body, field):
    response = await client.put("/items/X", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
    assert await count_rows(hub, ItemRow) == 0


async def test_unknown_item_is_404(client, tokens):
    response = await client.get("/items/NOPE", headers=auth(tokens["read-only"]))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "unknown_sku",
        "message": "no item with SKU 'NOPE'",
        "details": {"sku": "NOPE"},
    }


@pytest.mark.parametrize("role", ["warehouse", "read-only"])
async def test_catalog_writes_need_admin_or_operator(client, tokens, hub, role):
    response = await client.put("/items/X", json={"name": "x"}, headers=auth(tokens[role]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert await count_rows(hub, ItemRow) == 0
    listed = await client.get("/items", headers=auth(tokens[role]))
    assert listed.status_code == 200


# -------------------------------------------------------------------------- locations

PARIS = {
    "name": "Paris shop",
    "kind": "store",
    "address": {
        "line1": "1 rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    },
    "point": {"lat": 48.8606, "lon": 2.3376},
    "capabilities": ["pickup", "ship"],
    "priority": 20,
    "schedule": {"cutoff": "16:30", "working_days": [0, 1, 2, 3, 4, 5], "timezone": "Europe/Paris"},
}


async def test_put_creates_then_replaces_a_location(client, tokens):
    headers = auth(tokens["admin"])
    created = await client.put("/locations/PAR-1", json=PARIS, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["code"] == "PAR-1"
    assert body["kind"] == "store"
    assert body["point"] == {"lat": 48.8606, "lon": 2.3376}
    assert body["address"]["city"] == "Paris"
    assert body["capabilities"] == ["pickup", "ship"]
    assert body["schedule"]["cutoff"] == "16:30"

    replaced = await client.put(
        "/locations/PAR-1", json={"name": "Paris shop (closed)", "active": False}, headers=headers
    )
    assert replaced.status_code == 200
    fetched = (await client.get("/locations/PAR-1", headers=auth(tokens["read-only"]))).json()
    assert fetched["name"] == "Paris shop (closed)"
    assert fetched["active"] is False
    assert fetched["kind"] == "warehouse"  # the default, since a PUT replaces
    assert fetched["point"] is None


async def test_locations_are_listed_by_priority_then_code(client, tokens):
    headers = auth(tokens["admin"])
    for code, priority in [("B", 50), ("A", 50), ("C", 10)]:
        response = await client.put(
            f"/locations/{code}", json={"name": code, "priority": priority}, headers=headers
        )
        assert response.status_code == 201
    listed = (await client.get("/locations", headers=auth(tokens["warehouse"]))).json()
    assert [loc["code"] for loc in listed["items"]] == ["C", "A", "B"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PARIS, "address": {"street": "x"}}, "address.street"),
        ({**PARIS, "address": {"country": "France"}}, "address.country"),
        ({**PARIS, "point": {"lat": 91, "lon": 0}}, "point.lat"),
        ({**PARIS, "schedule": {"cutoff": "25:00"}}, "schedule.cutoff"),
        ({**PARIS, "schedule": {"working_days": [7]}}, "schedule.working_days[0]"),
        ({**PARIS, "kind": "castle"}, "kind"),
        ({**PARIS, "capabilities": ["teleport"]}, "capabilities[0]"),
    ],
)
async def test_bad_location_body_is_400_naming_the_field(client, tokens, hub, body, field):
    response = await client.put("/locations/PAR-1", json=body, headers=auth(tokens["admin"]))
    assert response.status_code == 400, response.text
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
    assert await count_rows(hub, LocationRow) == 0


async def test_bad_location_code_is_400(client, tokens, hub):
    response = await client.put(
        "/locations/bad%20code", json={"name": "x"}, headers=auth(tokens["admin"])
    )
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == ["code"]
    assert await count_rows(hub, LocationRow) == 0


async def test_unknown_location_is_404(client, tokens):
    response = await client.get("/locations/NOPE", headers=auth(tokens["read-only"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_location"


@pytest.mark.parametrize("role", ["operator", "warehouse", "read-only"])
async def test_location_writes_are_for_admins(client, tokens, hub, role):
    response = await client.put("/locations/X", json={"name": "x"}, headers=auth(tokens[role]))
    assert response.status_code == 403
    assert await count_rows(hub, LocationRow) == 0
