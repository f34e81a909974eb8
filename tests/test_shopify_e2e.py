"""Shopify end to end in the hub, for two stores at once.

The hub runs for real (its app, its worker code, SQLite and PostgreSQL, Redis); only the
providers' HTTP is replaced, by respx answering in their documented shapes: Shopify's
GraphQL Admin API with the connector package's payloads, EasyPost with the carrier
package's. A signed `orders/create` goes in through `POST /webhooks/{connection}`; the
order is allocated; the channel's new availability leaves as `inventorySetQuantities`; the
order is released, picked, packed and shipped with an EasyPost label; the shipment goes
back as `fulfillmentCreate` with its tracking.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import re
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa
from arq import Worker

from orderhub.core.model import Item, Location
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.stock.service import set_on_hand
from orderhub.hub.store.tables import (
    BindingRow,
    FulfillmentLineRow,
    FulfillmentRow,
    InboxRow,
    OrderHistoryRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    ReservationRow,
    StockLevelRow,
    SyncCursorRow,
)
from orderhub.hub.testing import auth
from orderhub.hub.worker import worker_settings

ROOT = Path(__file__).resolve().parents[1]
SHOPIFY_PAYLOADS = ROOT / "connectors" / "shopify" / "tests" / "payloads"
CARRIER_FIXTURES = ROOT / "connectors" / "carriers" / "tests" / "fixtures"

EU, US = "shopify-eu", "shopify-us"
STORES = {
    EU: {"shop": "acme-eu.myshopify.com", "secret": "eu-client-secret", "location": "24826418"},
    US: {"shop": "acme-us.myshopify.com", "secret": "us-client-secret", "location": "61234567"},
}
WAREHOUSE = {EU: "PAR", US: "NJ"}
"""Each store sells and ships from its own warehouse: OrderHub publishes its stock there."""
COUNTED = {EU: {"24826419": "NJ"}, US: {}}
"""A Shopify location of the EU store mapped to a warehouse that does not feed it: the
store's levels there are counts OrderHub takes in."""
ORDER_ID = "5844617199773"
"""The order in the connector's `orders_create.json` (lines IPOD2008PINK x2, CASE-RED x1)."""
LINE_IPOD, LINE_CASE = "14368713965725", "14368713998493"
EASYPOST = "https://api.easypost.com/v2"
EP_SHIPMENT = "shp_490d50bd449442edb36f75e2937b32e8"
EP_TRACKING = "9461200106068143633094"
EP_LABEL_URL = (
    "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20221017/"
    "d8f58ee193b24f9fadffae791f85d5f0.pdf"
)
_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def shopify_payload(name: str) -> Any:
    return json.loads((SHOPIFY_PAYLOADS / name).read_bytes())


def carrier_fixture(name: str) -> Any:
    return json.loads((CARRIER_FIXTURES / name).read_bytes())


# ------------------------------------------------------------------------------ the hub


@pytest.fixture
def hub_config() -> dict[str, Any]:
    connections: dict[str, Any] = {
        conn_id: {
            "connector": "shopify",
            "title": conn_id,
            "settings": {
                "shop_domain": store["shop"],
                "access_token": f"shpat_{conn_id}",
                "client_secret": store["secret"],
            },
            "locations": {store["location"]: WAREHOUSE[conn_id], **COUNTED[conn_id]},
            "feeds_from": [WAREHOUSE[conn_id]],
        }
        for conn_id, store in STORES.items()
    }
    connections["easypost"] = {
        "connector": "easypost",
        "settings": {"api_key": "EZTK151720b5bbc44c4fb6d2c2f5a2c1ab71"},
    }
    return {
        "plugins": {"allow": ["manual", "spreadsheet", "shopify", "carriers"]},
        "api": {"public_url": "https://oms.example.com"},
        "connections": connections,
        "worker": {"backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
    }


WAREHOUSE_ADDRESS = {
    "PAR": {
        "name": "Acme Paris",
        "line1": "417 Montgomery Street",
        "city": "San Francisco",
        "region": "CA",
        "postal_code": "94104",
        "country": "US",
        "phone": "4153334445",
    },
}


@pytest.fixture
async def catalog(hub: Any) -> None:
    """Both stores' items; a warehouse per store with stock."""
    from orderhub.core.model import Address

    address = Address(**WAREHOUSE_ADDRESS["PAR"])
    async with hub.transaction() as session:
        await upsert_item(
            session, Item(sku="IPOD2008PINK", name="iPod Nano - Pink", weight_grams=200)
        )
        await upsert_item(session, Item(sku="CASE-RED", name="Red case", weight_grams=100))
        await upsert_location(session, Location(code="PAR", name="Paris", address=address))
        await upsert_location(session, Location(code="NJ", name="New Jersey", address=address))
        for code in ("PAR", "NJ"):
            await set_on_hand(session, "IPOD2008PINK", code, 10)
            await set_on_hand(session, "CASE-RED", code, 5)


# ------------------------------------------------------------------------- Shopify (respx)


def graphql_url(conn_id: str) -> str:
    return f"https://{STORES[conn_id]['shop']}/admin/api/2026-04/graphql.json"


class FakeStore:
    """One store's GraphQL endpoint: answers queued per operation, every call kept."""

    def __init__(self, router: respx.MockRouter, conn_id: str) -> None:
        self.conn_id = conn_id
        self.calls: list[tuple[str, dict[str, Any], httpx.Request]] = []
        self.moments: list[tuple[str, float]] = []
        """(operation, event-loop time) of every call."""
        self._answers: dict[str, deque[Any]] = defaultdict(deque)
        self._always: dict[str, Any] = {}
        router.post(graphql_url(conn_id)).mock(side_effect=self._answer)

    def on(self, operation: str, *answers: Any) -> None:
        """Queue answers: a payload file name, a dict, or an httpx.Response."""
        self._answers[operation].extend(answers)

    def forget_calls(self) -> None:
        self.calls.clear()
        self.moments.clear()

    def always(self, operation: str, answer: Any) -> None:
        """Answer every call of `operation` (after queued answers run out); a callable gets
        the call's variables."""
        self._always[operation] = answer

    def variables(self, operation: str) -> list[dict[str, Any]]:
        return [variables for name, variables, _ in self.calls if name == operation]

    def operations(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def times(self, operation: str) -> list[float]:
        return [moment for name, moment in self.moments if name == operation]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        operation = _OPERATION.match(body["query"]).group(1)
        assert request.headers["X-Shopify-Access-Token"] == f"shpat_{self.conn_id}"
        self.calls.append((operation, body.get("variables") or {}, request))
        self.moments.append((operation, asyncio.get_running_loop().time()))
        queue = self._answers.get(operation)
        if queue:
            answer = queue.popleft()
        else:
            assert operation in self._always, f"{self.conn_id}: no answer for {operation}"
            answer = self._always[operation]
        if callable(answer):
            answer = answer(body.get("variables") or {})
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, str):
            answer = shopify_payload(answer)
        return httpx.Response(200, json=answer)


@pytest.fixture
def router() -> Any:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def stores(router: respx.MockRouter) -> dict[str, FakeStore]:
    return {conn_id: FakeStore(router, conn_id) for conn_id in STORES}


# ------------------------------------------------------------------------------ webhooks


def signed(conn_id: str, topic: str, body: bytes, event_id: str) -> dict[str, str]:
    """The headers Shopify sends, with X-Shopify-Hmac-Sha256 computed as Shopify does."""
    digest = hmac.new(STORES[conn_id]["secret"].encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": STORES[conn_id]["shop"],
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Webhook-Id": f"wh-{event_id}",
        "X-Shopify-Triggered-At": "2026-05-04T14:15:44.123Z",
    }


async def deliver(
    client: Any, conn_id: str, topic: str, body: bytes | dict, *, event_id: str
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        f"/webhooks/{conn_id}", content=raw, headers=signed(conn_id, topic, raw, event_id)
    )


def order_body(payload: str = "orders_create.json", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(shopify_payload(payload))
    body.update(changes)
    return body


# -------------------------------------------------------------------------------- worker


async def drain(hub: Any) -> None:
    """Run the real worker code in burst mode until nothing is queued (retries included)."""
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()


async def rows(hub: Any, model: Any, *where: Any) -> list[Any]:
    async with hub.read() as session:
        keys = sa.inspect(model).primary_key
        return list(await session.scalars(sa.select(model).where(*where).order_by(*keys)))


async def actions(hub: Any, order_id: str) -> list[str]:
    """The order's history, action by action."""
    found = await rows(hub, OrderHistoryRow, OrderHistoryRow.order_id == order_id)
    return [entry.action for entry in found]


async def the_order(hub: Any, conn_id: str, external_id: str = ORDER_ID) -> OrderRow:
    (order,) = await rows(
        hub, OrderRow, OrderRow.connection_id == conn_id, OrderRow.external_id == external_id
    )
    return order


# ----------------------------------------------------------------------- EasyPost (respx)


def mock_easypost(router: respx.MockRouter) -> dict[str, respx.Route]:
    """EasyPost's documented answers: rates for a new shipment, then the bought label."""
    label_pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    return {
        "shipments": router.post(f"{EASYPOST}/shipments").respond(
            201, json=carrier_fixture("easypost/shipment_create.json")
        ),
        "buy": router.post(f"{EASYPOST}/shipments/{EP_SHIPMENT}/buy").respond(
            200, json=carrier_fixture("easypost/shipment_buy.json")
        ),
        "label": router.get(f"{EASYPOST}/shipments/{EP_SHIPMENT}/label").respond(
            200, json=carrier_fixture("easypost/shipment_label_pdf.json")
        ),
        "pdf": router.get(EP_LABEL_URL).respond(200, content=label_pdf),
    }


# ------------------------------------------------------------------ Shopify's inventory ids

INVENTORY_ITEMS = {"IPOD2008PINK": "271878346596884015", "CASE-RED": "39072856001"}
"""Each SKU's inventory item, as the connector's GraphQL payloads have them (the same ids in
both stores, for simplicity)."""


def answer_variants_by_sku(store: FakeStore) -> None:
    """`productVariants(query: "sku:'…' OR …")` answered from INVENTORY_ITEMS, per request."""
    template = shopify_payload("graphql_variants_by_sku.json")

    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        skus = re.findall(r"sku:'([^']*)'", variables["query"])
        body = copy.deepcopy(template)
        node = body["data"]["productVariants"]["nodes"][0]
        body["data"]["productVariants"]["nodes"] = [
            {
                **node,
                "sku": sku,
                "inventoryItem": {
                    **node["inventoryItem"],
                    "id": f"gid://shopify/InventoryItem/{INVENTORY_ITEMS[sku]}",
                },
            }
            for sku in skus
            if sku in INVENTORY_ITEMS
        ]
        return body

    store.always("VariantsBySku", answer)


def quantities_set(store: FakeStore) -> list[dict[str, Any]]:
    """Every quantity sent by `inventorySetQuantities`, in call order."""
    return [
        quantity
        for variables in store.variables("SetAvailable")
        for quantity in variables["input"]["quantities"]
    ]


async def settle_initial_stock(hub: Any, stores: dict[str, FakeStore]) -> None:
    """Push the stock the catalog set, so each test starts from published numbers."""
    for store in stores.values():
        answer_variants_by_sku(store)
        store.always("SetAvailable", "graphql_inventory_set_ok.json")
    await drain(hub)
    for store in stores.values():
        assert sorted((q["quantity"], q["changeFromQuantity"]) for q in quantities_set(store)) == [
            (5, None),
            (10, None),
        ]
        store.forget_calls()


async def ship_order(client: Any, hub: Any, order_id: str, token: str) -> dict[str, Any]:
    """Release, pick everything, pack one parcel and ship it through the API."""
    from orderhub.hub.fulfillment.jobs import release_once

    await release_once(hub)
    (group,) = await rows(hub, FulfillmentRow, FulfillmentRow.order_id == order_id)
    lines = await rows(hub, FulfillmentLineRow, FulfillmentLineRow.fulfillment_id == group.id)
    picks = {"lines": [{"line_id": line.line_id, "found": line.quantity} for line in lines]}
    response = await client.post(f"/fulfillments/{group.id}/picks", json=picks, headers=auth(token))
    assert response.status_code == 200, response.text
    parcels = {
        "parcels": [{"weight_grams": 600, "length_mm": 200, "width_mm": 150, "height_mm": 80}]
    }
    response = await client.post(
        f"/fulfillments/{group.id}/pack", json=parcels, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    response = await client.post(f"/fulfillments/{group.id}/ship", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


async def ship_and_confirm(
    client: Any,
    hub: Any,
    token: str,
    store: FakeStore,
    order_id: str,
    *,
    creates: tuple[Any, ...] = ("graphql_fulfillment_create.json",),
) -> dict[str, Any]:
    """Ship the order (EasyPost mocked by the caller) and let the worker confirm it to the
    store; returns the `fulfillmentCreate` variables that succeeded."""
    store.on("FulfillmentOrders", *["graphql_fulfillment_orders.json"] * len(creates))
    store.on("CreateFulfillment", *creates)
    shipped = await ship_order(client, hub, order_id, token)
    (shipment,) = shipped["shipments"]
    await drain(hub)

    assert store.operations().count("CreateFulfillment") == len(creates)
    fulfillment = store.variables("CreateFulfillment")[-1]["fulfillment"]
    assert fulfillment["trackingInfo"]["number"] == shipment["tracking_number"] == EP_TRACKING
    assert fulfillment["trackingInfo"]["company"] == shipment["carrier"]
    (confirmation,) = await rows(
        hub,
        OutboxRow,
        OutboxRow.operation == "push_fulfillment",
        OutboxRow.idempotency_key == f"fulfillment:{shipment['id']}",
    )
    assert confirmation.status == "done"
    assert confirmation.result["id"] == "gid://shopify/Fulfillment/5432171966621"
    assert (await rows(hub, OrderRow, OrderRow.id == order_id))[0].status == "shipped"
    return fulfillment


# --------------------------------------------------------------------------------- tests


async def test_signed_order_is_allocated_pushed_shipped_and_fulfilled_in_shopify(
    client, hub, tokens, catalog, router, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    easypost = mock_easypost(router)

    response = await deliver(client, EU, "orders/create", order_body(), event_id="ev-create-1")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    await drain(hub)

    order = await the_order(hub, EU)
    assert order.status == "allocated"
    reserved = await rows(hub, ReservationRow, ReservationRow.order_id == order.id)
    assert sorted(r.quantity for r in reserved if r.status == "active") == [1, 2]
    # The EU store is told its new availability (10-2, 5-1) at its mapped location, with
    # the numbers it was told before as the compare-and-swap base; the US store nothing.
    sent = sorted(quantities_set(eu), key=lambda q: q["quantity"])
    assert sent == [
        {
            "inventoryItemId": f"gid://shopify/InventoryItem/{INVENTORY_ITEMS['CASE-RED']}",
            "locationId": "gid://shopify/Location/24826418",
            "quantity": 4,
            "changeFromQuantity": 5,
        },
        {
            "inventoryItemId": f"gid://shopify/InventoryItem/{INVENTORY_ITEMS['IPOD2008PINK']}",
            "locationId": "gid://shopify/Location/24826418",
            "quantity": 8,
            "changeFromQuantity": 10,
        },
    ]
    for variables in eu.variables("SetAvailable"):
        assert variables["input"]["name"] == "available"
        assert variables["input"]["reason"] == "correction"
        assert variables["idempotencyKey"]
    assert stores[US].calls == []

    eu.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    eu.on("CreateFulfillment", "graphql_fulfillment_create.json")
    shipped = await ship_order(client, hub, order.id, tokens["operator"])
    (shipment,) = shipped["shipments"]
    assert shipment["tracking_number"] == EP_TRACKING
    assert easypost["buy"].call_count == 1
    await drain(hub)

    assert eu.operations().count("CreateFulfillment") == 1
    (create,) = eu.variables("CreateFulfillment")
    fulfillment = create["fulfillment"]
    assert fulfillment["trackingInfo"]["number"] == EP_TRACKING
    assert fulfillment["trackingInfo"]["company"]
    (by_order,) = fulfillment["lineItemsByFulfillmentOrder"]
    assert by_order["fulfillmentOrderId"] == "gid://shopify/FulfillmentOrder/6390024519837"
    assert sorted(by_order["fulfillmentOrderLineItems"], key=lambda item: item["id"]) == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/13597329490077", "quantity": 2},
        {"id": "gid://shopify/FulfillmentOrderLineItem/13597329522845", "quantity": 1},
    ]
    (confirmation,) = await rows(hub, OutboxRow, OutboxRow.operation == "push_fulfillment")
    assert confirmation.status == "done"
    assert confirmation.result == {"id": "gid://shopify/Fulfillment/5432171966621", "url": None}
    assert (await the_order(hub, EU)).status == "shipped"


def throttled(requested: int, available: int, restore_rate: float = 100.0) -> dict[str, Any]:
    """Shopify's THROTTLED answer (the connector's fixture) with another bucket level."""
    body = copy.deepcopy(shopify_payload("graphql_throttled.json"))
    body["extensions"]["cost"]["requestedQueryCost"] = requested
    status = body["extensions"]["cost"]["throttleStatus"]
    status["currentlyAvailable"] = available
    status["restoreRate"] = restore_rate
    return body


async def test_a_delivery_repeated_by_shopify_is_stored_once_and_allocated_once(
    client, hub, tokens, catalog, router, stores
):
    await settle_initial_stock(hub, stores)

    first = await deliver(client, EU, "orders/create", order_body(), event_id="ev-dup")
    again = await deliver(client, EU, "orders/create", order_body(), event_id="ev-dup")
    await drain(hub)
    late = await deliver(client, EU, "orders/create", order_body(), event_id="ev-dup")
    await drain(hub)

    assert first.json()["status"] == "accepted"
    assert again.json() == {"status": "duplicate"} and late.json() == {"status": "duplicate"}
    assert len(await rows(hub, InboxRow)) == 1
    order = await the_order(hub, EU)
    assert (await actions(hub, order.id)).count("created") == 1
    active = await rows(
        hub, ReservationRow, ReservationRow.order_id == order.id, ReservationRow.status == "active"
    )
    assert sorted(r.quantity for r in active) == [1, 2]
    assert sorted(q["quantity"] for q in quantities_set(stores[EU])) == [4, 8]

    mock_easypost(router)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-dup")  # once more
    fulfillment = await ship_and_confirm(client, hub, tokens["operator"], stores[EU], order.id)
    (by_order,) = fulfillment["lineItemsByFulfillmentOrder"]
    assert sorted(i["quantity"] for i in by_order["fulfillmentOrderLineItems"]) == [1, 2]


async def test_orders_updated_before_orders_create_ends_in_the_newest_state(
    client, hub, tokens, catalog, router, stores
):
    await settle_initial_stock(hub, stores)

    updated = order_body("orders_updated.json")
    await deliver(client, EU, "orders/updated", updated, event_id="ev-upd")
    await drain(hub)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-create")
    await drain(hub)

    order = await the_order(hub, EU)
    assert order.financial_status == "paid"
    assert order.tags == ["edited", "gift", "vip"]
    assert order.notes == "Please leave at the door"
    assert order.source_updated_at.isoformat().startswith("2026-05-05T12:02:11")
    assert order.status == "allocated"
    inbox = {row.topic: row for row in await rows(hub, InboxRow)}
    assert inbox["orders/updated"].status == "done"
    assert inbox["orders/create"].status == "done"
    assert "ignored" in inbox["orders/create"].last_error  # the older snapshot changed nothing
    assert (await actions(hub, order.id)).count("created") == 1
    # The update had removed the case (current_quantity 0): only the iPods are reserved.
    lines = {
        line.sku: line for line in await rows(hub, OrderLineRow, OrderLineRow.order_id == order.id)
    }
    assert (lines["CASE-RED"].quantity_cancelled, lines["CASE-RED"].quantity_allocated) == (1, 0)
    assert lines["IPOD2008PINK"].quantity_allocated == 2
    assert [q["quantity"] for q in quantities_set(stores[EU])] == [8]

    mock_easypost(router)
    fulfillment = await ship_and_confirm(client, hub, tokens["operator"], stores[EU], order.id)
    (by_order,) = fulfillment["lineItemsByFulfillmentOrder"]
    assert by_order["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/13597329490077", "quantity": 2}
    ]  # the iPods only: the case was removed in Shopify


async def test_throttled_and_429_answers_are_retried_after_the_wait_shopify_asks_for(
    client, hub, tokens, catalog, router, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    # THROTTLED on the stock pushes: the bucket holds 10 points and the mutation asks for 50,
    # 0.4 s to refill at 100/s, longer than the worker's own backoff (at most 0.2 s here).
    eu.on(
        "SetAvailable", throttled(requested=50, available=10), throttled(requested=50, available=10)
    )

    await deliver(client, EU, "orders/create", order_body(), event_id="ev-create")
    await drain(hub)

    order = await the_order(hub, EU)
    pushes = await rows(
        hub, OutboxRow, OutboxRow.connection_id == EU, OutboxRow.operation == "push_stock"
    )
    caused = [row for row in pushes if row.attempts > 1]  # the two the order caused
    assert len(caused) == 2 and {row.status for row in caused} == {"done"}
    assert sorted(q["quantity"] for q in quantities_set(eu)) == [4, 4, 8, 8]  # each sent twice
    first_try, _, retry, _ = sorted(eu.times("SetAvailable"))
    assert retry - first_try >= 0.4
    # The throttle report is now shared with every worker through Redis.
    redis = await hub.queue()
    bucket = await redis.hgetall(f"orderhub:ratelimit:{EU}")
    assert float(bucket[b"max"]) == 2000.0 and float(bucket[b"rate"]) == 100.0

    # HTTP 429 on fulfillmentCreate: retried after its Retry-After, then confirmed once.
    mock_easypost(router)
    too_many = httpx.Response(
        429,
        headers={"Retry-After": "1.0"},
        json={"errors": "Exceeded 2 calls per second for api client. Reduce request rates."},
    )
    creates = (too_many, "graphql_fulfillment_create.json")
    await ship_and_confirm(client, hub, tokens["operator"], eu, order.id, creates=creates)
    refused, accepted = eu.times("CreateFulfillment")
    assert accepted - refused >= 1.0


async def test_two_stores_run_side_by_side(client, hub, tokens, catalog, router, stores):
    await settle_initial_stock(hub, stores)
    us_order = order_body(name="#US-1", email="grace@example.com")  # same Shopify id: 2 stores

    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await deliver(client, US, "orders/create", us_order, event_id="ev-1")
    await drain(hub)

    eu_order, us = await the_order(hub, EU), await the_order(hub, US)
    assert eu_order.id != us.id and us.number == "#US-1"
    bindings = await rows(hub, BindingRow, BindingRow.entity == "order")
    assert sorted((b.connection_id, b.external_id, b.internal_id) for b in bindings) == sorted(
        [(EU, ORDER_ID, eu_order.id), (US, ORDER_ID, us.id)]
    )
    levels = {
        (level.location_id, level.item_id): level.reserved
        for level in await rows(hub, StockLevelRow)
    }
    assert sorted(levels.values()) == [1, 1, 2, 2]  # each order reserved in its own warehouse
    for conn_id, location in ((EU, "24826418"), (US, "61234567")):
        sent = quantities_set(stores[conn_id])
        assert {q["locationId"] for q in sent} == {f"gid://shopify/Location/{location}"}
        assert sorted(q["quantity"] for q in sent) == [4, 8]

    mock_easypost(router)
    for conn_id, order in ((EU, eu_order), (US, us)):
        await ship_and_confirm(client, hub, tokens["operator"], stores[conn_id], order.id)
        other = stores[US if conn_id == EU else EU]
        assert other.operations().count("CreateFulfillment") == (1 if conn_id == US else 0)


async def test_a_bad_signature_is_401_and_stores_nothing(client, hub, catalog):
    body = json.dumps(order_body()).encode()
    headers = signed(EU, "orders/create", body, "ev-1")
    tampered = await client.post(
        f"/webhooks/{EU}", content=body.replace(b"Ada", b"Eve"), headers=headers
    )
    other_store = await client.post(
        f"/webhooks/{EU}", content=body, headers=signed(US, "orders/create", body, "ev-2")
    )
    unsigned = await client.post(
        f"/webhooks/{EU}",
        content=body,
        headers={k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"},
    )

    for response in (tampered, other_store, unsigned):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_signature"
    assert await rows(hub, InboxRow) == []
    assert await rows(hub, OrderRow) == []


async def test_a_malformed_body_with_a_valid_signature_is_a_failed_event_the_operator_sees(
    client, hub, tokens, catalog, stores
):
    broken = b'{"id": 5844617199773, "line_items": [{"id": 1, "quantity": "two"'
    response = await deliver(client, EU, "orders/create", broken, event_id="ev-broken")
    missing = order_body()
    del missing["total_price_set"]
    second = await deliver(client, EU, "orders/create", missing, event_id="ev-no-total")
    await drain(hub)

    assert response.status_code == 200 and second.status_code == 200
    listed = await client.get("/inbox?status=dead", headers=auth(tokens["read-only"]))
    assert listed.status_code == 200
    items = {item["event_id"]: item for item in listed.json()["items"]}
    assert set(items) == {"orders/create:ev-broken", "orders/create:ev-no-total"}
    assert "payload error" in items["orders/create:ev-broken"]["last_error"]
    assert "not valid JSON" in items["orders/create:ev-broken"]["last_error"]
    assert "total_price_set" in items["orders/create:ev-no-total"]["last_error"]
    assert await rows(hub, OrderRow) == []


# --------------------------------------------------------------------------------- polling


async def test_polling_merges_two_pages_stores_the_cursor_and_resumes_from_it(
    client, hub, tokens, catalog, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    eu.on("OrdersPage", "graphql_orders_page_1.json", "graphql_orders_page_2.json")
    eu.on("OrderLineItems", "graphql_order_line_items.json")

    started = await client.post(f"/connections/{EU}/sync", headers=auth(tokens["operator"]))
    assert started.status_code == 202 and started.json()["queued"] is True
    await drain(hub)

    first, second = eu.variables("OrdersPage")
    assert first["first"] == 250 and first["after"] is None
    assert first["query"].startswith("updated_at:>='")
    assert (
        second["after"]
        == shopify_payload("graphql_orders_page_1.json")["data"]["orders"]["pageInfo"]["endCursor"]
    )
    assert second["query"] == first["query"]  # the sweep's watermark holds while paging
    orders = {row.number: row for row in await rows(hub, OrderRow, OrderRow.connection_id == EU)}
    assert set(orders) == {"#1042", "#1044", "#1045"}
    assert orders["#1042"].status == "allocated"
    assert orders["#1044"].status == "cancelled"
    assert orders["#1045"].status == "on_hold"  # TEA-SENCHA is not in the catalog
    (cursor,) = await rows(hub, SyncCursorRow, SyncCursorRow.connection_id == EU)
    assert json.loads(cursor.cursor) == {
        "since": "2026-05-06T08:31:07Z",
        "after": None,
        "high": None,
    }
    # The poll knows each line's inventory item: bound to the SKU for inventory webhooks.
    items = await rows(hub, BindingRow, BindingRow.connection_id == EU, BindingRow.entity == "item")
    assert {(b.external_id, b.internal_id) for b in items} >= {
        ("271878346596884015", "IPOD2008PINK"),
        ("39072856001", "CASE-RED"),
    }
    state = await client.get(f"/connections/{EU}/sync", headers=auth(tokens["read-only"]))
    assert json.loads(state.json()["cursor"])["since"] == "2026-05-06T08:31:07Z"

    history_before = len(await rows(hub, OrderHistoryRow))
    eu.on("OrdersPage", "graphql_orders_page_2.json")
    await client.post(f"/connections/{EU}/sync", headers=auth(tokens["operator"]))
    await drain(hub)

    resumed = eu.variables("OrdersPage")[-1]
    assert resumed["after"] is None
    assert resumed["query"] == "updated_at:>='2026-05-06T08:31:07Z'"
    assert len(await rows(hub, OrderRow, OrderRow.connection_id == EU)) == 3
    assert len(await rows(hub, OrderHistoryRow)) == history_before  # #1045 again: not newer
    assert stores[US].variables("OrdersPage") == []


async def test_a_pull_interrupted_by_shopify_resumes_from_the_last_stored_page(
    client, hub, catalog, stores
):
    from orderhub.hub.sync.polling import pull_orders

    eu = stores[EU]
    eu.on("OrdersPage", "graphql_orders_page_1.json", httpx.Response(503))
    eu.on("OrderLineItems", "graphql_order_line_items.json")
    answer_variants_by_sku(eu)
    eu.always("SetAvailable", "graphql_inventory_set_ok.json")

    report = await pull_orders(hub, EU)

    assert report.pages == 1 and report.stopped and "TransientError" in report.stopped
    (cursor,) = await rows(hub, SyncCursorRow, SyncCursorRow.connection_id == EU)
    page_one_end = shopify_payload("graphql_orders_page_1.json")["data"]["orders"]["pageInfo"][
        "endCursor"
    ]
    assert json.loads(cursor.cursor)["after"] == page_one_end
    eu.on("OrdersPage", "graphql_orders_page_2.json")
    report = await pull_orders(hub, EU)
    assert report.pages == 1 and report.stopped is None
    assert eu.variables("OrdersPage")[-1]["after"] == page_one_end
    assert len(await rows(hub, OrderRow, OrderRow.connection_id == EU)) == 3


# ------------------------------------------------------------------ inventory, refunds, uninstall


async def test_inventory_levels_count_only_where_orderhub_does_not_publish(
    client, hub, catalog, stores
):
    await settle_initial_stock(hub, stores)
    async with hub.transaction() as session:
        session.add(
            BindingRow(
                connection_id=EU,
                entity="item",
                external_id=INVENTORY_ITEMS["IPOD2008PINK"],
                internal_id="IPOD2008PINK",
            )
        )
    published_here = shopify_payload("inventory_levels_update.json")  # at 24826418 (PAR)
    counted_there = {**published_here, "location_id": 24826419, "available": 6}  # (NJ)
    unknown_item = {**published_here, "inventory_item_id": 99, "location_id": 24826419}

    await deliver(client, EU, "inventory_levels/update", published_here, event_id="inv-1")
    await deliver(client, EU, "inventory_levels/update", counted_there, event_id="inv-2")
    await deliver(client, EU, "inventory_levels/update", unknown_item, event_id="inv-3")
    await drain(hub)

    on_hand = {
        (level.location_id, level.item_id): level.on_hand
        for level in await rows(hub, StockLevelRow)
    }
    async with hub.read() as session:
        ipod = await session.scalar(sa.text("SELECT id FROM items WHERE sku = 'IPOD2008PINK'"))
        par = await session.scalar(sa.text("SELECT id FROM locations WHERE code = 'PAR'"))
        nj = await session.scalar(sa.text("SELECT id FROM locations WHERE code = 'NJ'"))
    assert on_hand[(par, ipod)] == 10  # Shopify's 6 at PAR echoes what OrderHub publishes
    assert on_hand[(nj, ipod)] == 6
    notes = {row.event_id: row for row in await rows(hub, InboxRow)}
    assert {row.status for row in notes.values()} == {"done"}
    assert "not counted" in notes["inventory_levels/update:inv-1"].last_error
    assert notes["inventory_levels/update:inv-2"].last_error is None
    assert "'99'" in notes["inventory_levels/update:inv-3"].last_error


async def test_a_refund_made_in_shopify_lands_in_the_order_history(client, hub, catalog, stores):
    await settle_initial_stock(hub, stores)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await deliver(
        client, EU, "refunds/create", shopify_payload("refunds_create.json"), event_id="rf"
    )
    await drain(hub)

    order = await the_order(hub, EU)
    (entry,) = await rows(
        hub,
        OrderHistoryRow,
        OrderHistoryRow.order_id == order.id,
        OrderHistoryRow.action == "refund_observed",
    )
    assert entry.detail["refund_id"] == "929361472"
    assert entry.detail["line_quantities"] == {LINE_IPOD: 1}
    assert entry.actor_name == EU


async def test_app_uninstalled_revokes_the_store_and_stops_its_outbound_calls(
    client, hub, tokens, catalog, stores
):
    await settle_initial_stock(hub, stores)
    await deliver(
        client, US, "app/uninstalled", shopify_payload("app_uninstalled.json"), event_id="u"
    )
    await drain(hub)

    health = (await client.get(f"/connections/{US}", headers=auth(tokens["read-only"]))).json()
    assert health["health"]["revoked"] is True
    assert "app uninstalled" in health["health"]["revoked_reason"]
    refused = await client.post(f"/connections/{US}/sync", headers=auth(tokens["operator"]))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "connection_revoked"

    async with hub.transaction() as session:  # both warehouses receive stock
        await set_on_hand(session, "IPOD2008PINK", "NJ", 12)
        await set_on_hand(session, "IPOD2008PINK", "PAR", 12)
    await drain(hub)

    (us_push,) = await rows(
        hub, OutboxRow, OutboxRow.connection_id == US, OutboxRow.status == "dead"
    )
    assert "revoked by the provider" in us_push.last_error
    assert "app uninstalled" in us_push.last_error
    assert stores[US].calls == []
    assert [q["quantity"] for q in quantities_set(stores[EU])] == [12]

    # Reinstalled: registering the webhooks works again, which clears the revocation.
    stores[US].on("WebhookSubscriptions", {"data": {"webhookSubscriptions": {"nodes": []}}})
    stores[US].always("CreateWebhook", "graphql_webhook_create.json")
    registered = await client.post(f"/connections/{US}/webhooks", headers=auth(tokens["admin"]))
    assert registered.status_code == 200, registered.text
    assert registered.json()["revocation_cleared"] is True
    health = (await client.get(f"/connections/{US}", headers=auth(tokens["read-only"]))).json()
    assert health["health"]["revoked"] is False


async def test_webhook_subscriptions_are_registered_at_the_public_url(client, hub, tokens, stores):
    eu = stores[EU]
    eu.on("WebhookSubscriptions", "graphql_webhook_subscriptions.json")
    eu.always("CreateWebhook", "graphql_webhook_create.json")

    response = await client.post(f"/connections/{EU}/webhooks", headers=auth(tokens["admin"]))
    operator = await client.post(f"/connections/{EU}/webhooks", headers=auth(tokens["operator"]))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == "https://oms.example.com/webhooks/shopify-eu"
    assert len(body["subscriptions"]) == 7
    created = eu.variables("CreateWebhook")
    # orders/create already pointed here; app/uninstalled pointed elsewhere and is added.
    assert sorted(v["topic"] for v in created) == [
        "APP_UNINSTALLED",
        "INVENTORY_LEVELS_UPDATE",
        "ORDERS_CANCELLED",
        "ORDERS_PAID",
        "ORDERS_UPDATED",
        "REFUNDS_CREATE",
    ]
    assert {v["webhookSubscription"]["uri"] for v in created} == {body["url"]}
    assert operator.status_code == 403
    assert stores[US].calls == []


# ------------------------------------------------------- decided in OrderHub, told to Shopify


async def test_cancellation_and_refund_decided_in_orderhub_reach_shopify(
    client, hub, tokens, catalog, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await drain(hub)
    order = await the_order(hub, EU)
    lines = {
        line.sku: line for line in await rows(hub, OrderLineRow, OrderLineRow.order_id == order.id)
    }
    eu.on("OrderTransactions", "graphql_order_transactions.json")
    eu.on("CreateRefund", "graphql_refund_create.json")
    eu.on("OrderCancelState", "graphql_order_cancel_state.json")
    eu.on("CancelOrder", "graphql_order_cancel.json")

    refund = await client.post(
        f"/orders/{order.id}/refunds",
        json={"amount": "19.90", "currency": "EUR", "lines": {lines["CASE-RED"].id: 1}},
        headers=auth(tokens["operator"]),
    )
    cancel = await client.post(
        f"/orders/{order.id}/cancel",
        json={"reason": "customer changed their mind"},
        headers=auth(tokens["operator"]),
    )
    await drain(hub)

    assert refund.status_code == 202, refund.text
    refund_id = refund.json()["refund_id"]
    (create,) = eu.variables("CreateRefund")
    assert create["idempotencyKey"] == refund_id
    assert create["input"]["orderId"] == f"gid://shopify/Order/{ORDER_ID}"
    assert create["input"]["refundLineItems"] == [
        {
            "lineItemId": f"gid://shopify/LineItem/{LINE_CASE}",
            "quantity": 1,
            "restockType": "NO_RESTOCK",
        }
    ]
    assert create["input"]["transactions"][0]["amount"] == "19.90"
    assert cancel.status_code == 200, cancel.text
    (cancelled,) = eu.variables("CancelOrder")
    assert cancelled["orderId"] == f"gid://shopify/Order/{ORDER_ID}"
    assert cancelled["reason"] == "OTHER"
    assert cancelled["staffNote"] == "customer changed their mind"
    assert "refund_requested" in await actions(hub, order.id)
    sent = {
        row.operation: row
        for row in await rows(hub, OutboxRow, OutboxRow.connection_id == EU)
        if row.operation in ("push_refund", "push_cancellation")
    }
    assert {row.status for row in sent.values()} == {"done"}
    assert sent["push_refund"].result == {"id": "gid://shopify/Refund/929361473", "url": None}
    # The freed reservations went back on sale at the store.
    latest = {q["inventoryItemId"]: q["quantity"] for q in quantities_set(eu)}
    assert sorted(latest.values()) == [5, 10]


async def test_bad_refunds_are_refused_and_change_nothing(client, hub, tokens, catalog, stores):
    await settle_initial_stock(hub, stores)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await drain(hub)
    order = await the_order(hub, EU)
    before = len(await rows(hub, OutboxRow))

    cases = {
        "unknown_line": {"amount": "1.00", "currency": "EUR", "lines": {"lin_nope": 1}},
        "refund_exceeds_total": {"amount": "100000.00", "currency": "EUR"},
        "invalid_amount": {"amount": "0", "currency": "EUR"},
    }
    for code, body in cases.items():
        response = await client.post(
            f"/orders/{order.id}/refunds", json=body, headers=auth(tokens["operator"])
        )
        assert response.status_code == 422, (code, response.text)
        assert response.json()["error"]["code"] == code
    typo = await client.post(
        f"/orders/{order.id}/refunds",
        json={"amount": 5, "currency": "EUR"},
        headers=auth(tokens["operator"]),
    )
    assert typo.status_code == 400
    assert len(await rows(hub, OutboxRow)) == before
    assert "refund_requested" not in await actions(hub, order.id)


async def test_corrected_tracking_follows_the_fulfillment_to_shopify(
    client, hub, tokens, catalog, router, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    mock_easypost(router)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await drain(hub)
    order = await the_order(hub, EU)
    eu.on("FulfillmentOrders", "graphql_fulfillment_orders.json")
    eu.on("CreateFulfillment", "graphql_fulfillment_create.json")
    eu.on("UpdateTracking", "graphql_tracking_update.json")
    shipped = await ship_order(client, hub, order.id, tokens["operator"])
    (shipment,) = shipped["shipments"]

    changed = await client.post(
        f"/shipments/{shipment['id']}/tracking",
        json={
            "carrier": "DHL Express",
            "tracking_number": "1234567890",
            "tracking_url": "https://www.dhl.com/en/express/tracking.html?AWB=1234567890",
        },
        headers=auth(tokens["operator"]),
    )
    assert changed.status_code == 200, changed.text
    await drain(hub)

    # The update waited for the confirmation, then named the fulfillment Shopify created.
    assert eu.operations().index("CreateFulfillment") < eu.operations().index("UpdateTracking")
    (update,) = eu.variables("UpdateTracking")
    assert update["fulfillmentId"] == "gid://shopify/Fulfillment/5432171966621"
    assert update["trackingInfoInput"] == {
        "company": "DHL Express",
        "number": "1234567890",
        "url": "https://www.dhl.com/en/express/tracking.html?AWB=1234567890",
    }
    (row,) = await rows(hub, OutboxRow, OutboxRow.operation == "update_tracking")
    assert row.status == "done"
    unknown = await client.post(
        "/shipments/shp_nope/tracking",
        json={"tracking_number": "1"},
        headers=auth(tokens["operator"]),
    )
    assert unknown.status_code == 404


async def test_an_order_cancelled_in_shopify_is_cancelled_here_and_its_stock_published_again(
    client, hub, catalog, stores
):
    eu = stores[EU]
    await settle_initial_stock(hub, stores)
    await deliver(client, EU, "orders/create", order_body(), event_id="ev-1")
    await drain(hub)
    cancelled = order_body(
        updated_at="2026-05-05T09:00:00-04:00",
        cancelled_at="2026-05-05T09:00:00-04:00",
        cancel_reason="customer",
    )

    await deliver(client, EU, "orders/cancelled", cancelled, event_id="ev-2")
    await drain(hub)

    order = await the_order(hub, EU)
    assert (order.status, order.cancel_reason) == ("cancelled", "customer")
    active = await rows(
        hub, ReservationRow, ReservationRow.order_id == order.id, ReservationRow.status == "active"
    )
    assert active == []
    latest = {q["inventoryItemId"]: q["quantity"] for q in quantities_set(eu)}
    assert sorted(latest.values()) == [5, 10]
    # Shopify cancelled it: nothing is pushed back.
    assert await rows(hub, OutboxRow, OutboxRow.operation == "push_cancellation") == []
    assert "CancelOrder" not in eu.operations()
