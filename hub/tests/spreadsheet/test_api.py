"""POST /imports/{kind} and GET /exports/orders.csv over HTTP."""

from __future__ import annotations

import csv
import io

from orderhub.hub.channels.spreadsheet.columns import ORDER_COLUMNS
from orderhub.hub.channels.spreadsheet.reading import XLSX_MEDIA_TYPE
from orderhub.hub.store.tables import ItemRow, OrderRow
from orderhub.hub.testing import auth

from .conftest import count, csv_bytes, xlsx_bytes
from .test_import_orders import order_row, sample_rows

CSV = {"Content-Type": "text/csv"}


async def test_import_csv_returns_the_report(hub, client, tokens, catalog):
    response = await client.post(
        "/imports/orders",
        content=csv_bytes(sample_rows()),
        headers={**CSV, **auth(tokens["operator"])},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "orders" and body["connection"] == "spreadsheet"
    assert body["summary"] == {"rows": 6, "ok": 3, "errors": 2, "skipped": 1}
    bad = {row["row"]: row for row in body["rows"] if row["status"] == "error"}
    assert bad[5]["messages"] == ["quantity 'abc' is not a whole number"]
    assert bad[6]["messages"] == ["unknown SKU 'X'"]
    assert await count(hub, OrderRow) == 2


async def test_import_xlsx_body(client, tokens, catalog):
    rows = [["sku", "name", "price"], ["API-1", "Tea towel", 9.9]]

    response = await client.post(
        "/imports/items",
        content=xlsx_bytes(rows),
        headers={"Content-Type": XLSX_MEDIA_TYPE, **auth(tokens["admin"])},
    )

    assert response.status_code == 200, response.text
    assert response.json()["rows"][0] == {
        "row": 2,
        "status": "ok",
        "reference": "API-1",
        "messages": ["created"],
    }


async def test_dry_run_query_changes_nothing(hub, client, tokens, catalog):
    response = await client.post(
        "/imports/orders?dry_run=true",
        content=csv_bytes(sample_rows()),
        headers={**CSV, **auth(tokens["admin"])},
    )

    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["summary"]["ok"] == 3
    assert await count(hub, OrderRow) == 0


async def test_bad_requests_have_a_code_and_change_nothing(hub, client, tokens, catalog):
    admin = auth(tokens["admin"])
    data = csv_bytes([["sku", "name"], ["Z-1", "Zed"]])

    cases = [
        (
            "/imports/items",
            {"Content-Type": "application/json", **admin},
            data,
            415,
            "unsupported_media_type",
        ),
        ("/imports/customers", {**CSV, **admin}, data, 404, "unknown_import_kind"),
        ("/imports/items", {**CSV, **admin}, b"sku,title\nZ-1,Zed\n", 422, "invalid_file"),
        (
            "/imports/items",
            {"Content-Type": XLSX_MEDIA_TYPE, **admin},
            b"not a zip",
            422,
            "invalid_file",
        ),
        (
            "/imports/items?connection=manual",
            {**CSV, **admin},
            data,
            422,
            "not_a_spreadsheet_connection",
        ),
        ("/imports/items?connection=nope", {**CSV, **admin}, data, 404, "unknown_connection"),
        ("/imports/items", {**CSV, **auth(tokens["read-only"])}, data, 403, "forbidden"),
        ("/imports/items", {**CSV, **auth(tokens["warehouse"])}, data, 403, "forbidden"),
        ("/imports/items", CSV, data, 401, "unauthorized"),
    ]
    for path, headers, body, status, code in cases:
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["code"] == code, (path, response.text)
    assert await count(hub, ItemRow) == 3
    invalid = await client.post(
        "/imports/items", content=b"sku,title\nZ-1,Zed\n", headers={**CSV, **admin}
    )
    assert "unknown column(s) 'title'" in invalid.json()["error"]["message"]


async def test_export_orders_csv_with_filters(client, tokens, catalog):
    rows = [
        list(ORDER_COLUMNS),
        order_row("E1", "TEE-M", "2", "24.90"),
        order_row("E1", "MUG", "1", "14.50"),
        order_row("E2", "MUG", "1", "14.50", customer_email="other@example.org"),
    ]
    await client.post(
        "/imports/orders", content=csv_bytes(rows), headers={**CSV, **auth(tokens["admin"])}
    )

    response = await client.get("/exports/orders.csv", headers=auth(tokens["read-only"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["order_ref"], r["sku"], r["quantity"], r["unit_price"]) for r in exported] == [
        ("E2", "MUG", "1", "14.50"),
        ("E1", "TEE-M", "2", "24.90"),
        ("E1", "MUG", "1", "14.50"),
    ]
    assert exported[1]["placed_at"] == "2024-05-02T09:30:00Z"
    assert exported[1]["shipping_price"] == "4.90"
    assert exported[1]["tags"] == "vip, gift"

    only_e2 = await client.get(
        "/exports/orders.csv",
        params={"customer": "other@example.org"},
        headers=auth(tokens["read-only"]),
    )
    assert [r["order_ref"] for r in csv.DictReader(io.StringIO(only_e2.text))] == ["E2"]
    none_shipped = await client.get(
        "/exports/orders.csv", params={"status": "shipped"}, headers=auth(tokens["admin"])
    )
    assert none_shipped.text.strip() == ",".join(ORDER_COLUMNS)
    bad = await client.get(
        "/exports/orders.csv", params={"status": "lost"}, headers=auth(tokens["admin"])
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
