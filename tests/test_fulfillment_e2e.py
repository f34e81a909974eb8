"""From an allocated order to the customer's door, across the hub, the real carrier connectors
(EasyPost and FedEx, answered by respx with their documented payloads) and a channel that
takes ship confirmations:

allocated -> released -> picked short at WH1 (the missing unit re-routed to WH2) -> packed ->
rates from both carriers -> one label per parcel -> ship confirmations in the outbox, sent to
the channel -> EasyPost tracking webhooks signed with EasyPost's scheme -> delivered.

Runs on SQLite and PostgreSQL with real Redis (the worker drains the inbox and outbox).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import respx
import sqlalchemy as sa
from arq import Worker

from orderhub.core.connectors import Capability, ExternalRef
from orderhub.core.model import (
    Actor,
    ActorKind,
    Address,
    Customer,
    FinancialStatus,
    Item,
    Location,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    ShippingLine,
)
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.allocation.intake import accept_order
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.fulfillment.jobs import release_once
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.stock.service import levels, set_on_hand
from orderhub.hub.store.tables import (
    LabelRow,
    OrderHistoryRow,
    OrderRow,
    OutboxRow,
    TrackingEventRow,
)
from orderhub.hub.testing import auth
from orderhub.hub.worker import worker_settings

FIXTURES = Path(__file__).resolve().parents[1] / "connectors/carriers/tests/fixtures"
EASYPOST = "https://api.easypost.com/v2"
FEDEX = "https://apis.fedex.com"
SECRET = "e2e-ﬁ-secret"
FIRST_ID, FIRST_TRACKING = "shp_490d50bd449442edb36f75e2937b32e8", "9461200106068143633094"
SECOND_ID, SECOND_TRACKING = "shp_5a1c0e07d2b94d0f9a3b6c7e8f901234", "9461200106068143639999"
PDF_URL = "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20221017/d8f58ee193b24f9fadffae791f85d5f0.pdf"
PDF = b"%PDF-1.4\n% e2e label\n%%EOF\n"


def fixture(name: str, **replace: str) -> Any:
    text = (FIXTURES / name).read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return json.loads(text)


class Shop(FakeChannel):
    """The order's channel: it takes ship confirmations and keeps them."""

    name: ClassVar[str] = "e2e-shop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_FULFILLMENT})

    @property
    def notices(self) -> list[Any]:
        return self.called("push_fulfillment")

    async def push_fulfillment(self, notice: Any) -> ExternalRef:
        ref: ExternalRef = self.record(
            "push_fulfillment", notice, ExternalRef(id=f"fulfillment-{len(self.notices) + 1}")
        )
        return ref


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(Shop)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        "plugins": {"allow": ["manual", "spreadsheet", "carriers"]},
        "connections": {
            "shop": {"connector": "e2e-shop"},
            "easypost": {
                "connector": "easypost",
                "settings": {"api_key": "EZTK0000e2e", "webhook_secret": SECRET},
            },
            "fedex": {
                "connector": "fedex",
                "settings": {
                    "client_id": "l7xx-e2e",
                    "client_secret": "s",
                    "account_number": "740561073",
                },
            },
        },
    }


def sign(body: bytes) -> str:
    """EasyPost's X-Hmac-Signature: hex HMAC-SHA256 of the raw body, NFKD-normalised key."""
    key = unicodedata.normalize("NFKD", SECRET).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def drain(hub: Any) -> None:
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()


async def status_of(hub: Any, order_id: str) -> str:
    async with hub.read() as session:
        return await session.scalar(sa.select(OrderRow.status).where(OrderRow.id == order_id))


def mock_easypost_and_fedex(router: respx.Router) -> dict[str, respx.Route]:
    """Both carriers as their documentation shows them. EasyPost gives the second label
    its own shipment id and tracking code."""
    labels_bought: list[str] = []

    def create_shipment(request: httpx.Request) -> httpx.Response:
        reference = json.loads(request.content)["shipment"]["reference"]
        if reference.startswith("lbl_"):
            labels_bought.append(reference)
        if reference.startswith("lbl_") and len(labels_bought) == 2:
            return httpx.Response(
                201, json=fixture("easypost/shipment_create.json", **{FIRST_ID: SECOND_ID})
            )
        return httpx.Response(201, json=fixture("easypost/shipment_create.json"))

    routes = {
        "create": router.post(f"{EASYPOST}/shipments").mock(side_effect=create_shipment),
        "fedex_token": router.post(f"{FEDEX}/oauth/token").respond(
            200, json=fixture("fedex/oauth_token.json")
        ),
        "fedex_rates": router.post(f"{FEDEX}/rate/v1/rates/quotes").respond(
            200, json=fixture("fedex/rate_quotes.json")
        ),
        "pdf": router.get(PDF_URL).respond(200, content=PDF),
    }
    for shipment_id, tracking in ((FIRST_ID, FIRST_TRACKING), (SECOND_ID, SECOND_TRACKING)):
        swap = {FIRST_ID: shipment_id, FIRST_TRACKING: tracking}
        routes[f"buy {shipment_id}"] = router.post(
            f"{EASYPOST}/shipments/{shipment_id}/buy"
        ).respond(200, json=fixture("easypost/shipment_buy.json", **swap))
        router.get(f"{EASYPOST}/shipments/{shipment_id}/label").respond(
            200, json=fixture("easypost/shipment_label_pdf.json", **swap)
        )
    return routes


async def test_an_allocated_order_reaches_the_customer(hub, client, tokens):
    warehouse, operator = auth(tokens["warehouse"]), auth(tokens["operator"])  # warehouse: WH1

    # -- an allocated order: two T-shirts, reserved at WH1 (first choice) --------------------
    async with hub.transaction() as session:
        await upsert_item(session, Item(sku="TEE", name="T-shirt", weight_grams=200))
        for code, priority, address in (
            ("WH1", 10, fixture("easypost/shipment_create.json")["from_address"]),
            (
                "WH2",
                20,
                {
                    "company": "Annex",
                    "street1": "1 Broadway",
                    "city": "Oakland",
                    "state": "CA",
                    "zip": "94607",
                },
            ),
        ):
            await upsert_location(
                session,
                Location(
                    code=code,
                    name=code,
                    priority=priority,
                    address=Address(
                        name=address.get("name"),
                        company=address.get("company"),
                        line1=address["street1"],
                        line2=address.get("street2"),
                        city=address["city"],
                        region=address["state"],
                        postal_code=address["zip"],
                        country="US",
                        phone="4153334445",
                    ),
                ),
            )
        await set_on_hand(session, "TEE", "WH1", 2)
        await set_on_hand(session, "TEE", "WH2", 5)
    async with hub.transaction() as session:
        order = await accept_order(
            hub,
            session,
            Order(
                connection="shop",
                external_id="5001",
                number="#5001",
                currency="USD",
                placed_at=datetime.now(UTC),
                financial_status=FinancialStatus.PAID,
                customer=Customer(email="steve@example.com", name="Dr. Steve Brule"),
                shipping_address=Address(
                    name="Dr. Steve Brule",
                    line1="179 N Harbor Dr",
                    city="Redondo Beach",
                    region="CA",
                    postal_code="90277",
                    country="US",
                    phone="8573875756",
                ),
                shipping_lines=[
                    ShippingLine(
                        title="Standard", code="standard", price=Money.parse("4.90", "USD")
                    )
                ],
                lines=[
                    OrderLine(
                        sku="TEE",
                        name="T-shirt",
                        quantity=2,
                        unit_price=Money.parse("19.99", "USD"),
                        external_id="gid-line-1",
                    )
                ],
            ),
            actor=Actor(kind=ActorKind.CONNECTION, name="shop"),
            reject_unknown_skus=True,
        )
    assert order.status is OrderStatus.ALLOCATED
    line_id = order.lines[0].id

    # -- release: the worker's job releases it at once ------------------------------------
    [first_group] = await release_once(hub)
    assert await status_of(hub, order.id) == OrderStatus.RELEASED.value
    pick_list = (await client.get("/locations/WH1/pick-lists", headers=warehouse)).json()
    assert [
        (f["fulfillment_id"], f["lines"][0]["quantity"]) for f in pick_list["fulfillments"]
    ] == [(first_group, 2)]

    # -- pick: only one T-shirt is on the shelf; the other is re-routed to WH2 -------------
    picked = await client.post(
        f"/fulfillments/{first_group}/picks",
        json={"lines": [{"line_id": line_id, "found": 1}]},
        headers=warehouse,
    )
    assert picked.status_code == 200, picked.text
    groups = (await client.get(f"/fulfillments?order_id={order.id}", headers=operator)).json()
    [second_group] = [g["id"] for g in groups["items"] if g["location"] == "WH2"]
    assert {g["location"]: g["status"] for g in groups["items"]} == {
        "WH1": "picking",
        "WH2": "released",
    }
    picked = await client.post(
        f"/fulfillments/{second_group}/picks",
        json={"lines": [{"line_id": line_id, "found": 1}]},
        headers=operator,
    )
    assert picked.status_code == 200, picked.text

    # -- pack, rate across EasyPost and FedEx, buy labels, ship -----------------------------
    for group_id, token in ((first_group, warehouse), (second_group, operator)):
        packed = await client.post(
            f"/fulfillments/{group_id}/pack",
            json={
                "parcels": [
                    {"weight_grams": 450, "length_mm": 300, "width_mm": 220, "height_mm": 60}
                ]
            },
            headers=token,
        )
        assert packed.status_code == 200, packed.text

    with respx.mock(assert_all_called=False) as router:
        routes = mock_easypost_and_fedex(router)
        first = await client.post(f"/fulfillments/{first_group}/ship", headers=warehouse)
        assert first.status_code == 200, first.text
        assert await status_of(hub, order.id) == OrderStatus.PARTIALLY_SHIPPED.value
        second = await client.post(f"/fulfillments/{second_group}/ship", headers=operator)
        assert second.status_code == 200, second.text
        retried = await client.post(f"/fulfillments/{second_group}/ship", headers=operator)

    assert retried.status_code == 409  # shipped once; nothing bought again
    assert routes["fedex_rates"].call_count == 2 and routes["fedex_token"].call_count == 1
    assert routes[f"buy {FIRST_ID}"].call_count == 1 and routes[f"buy {SECOND_ID}"].call_count == 1
    shipments = [first.json()["shipments"][0], second.json()["shipments"][0]]
    for shipment in shipments:
        assert (shipment["connection"], shipment["carrier"], shipment["service"]) == (
            "easypost",
            "USPS",
            "ParcelSelect",
        )
        choice = shipment["rate_choice"]
        assert {c["connection"] for c in choice["considered"]} == {"easypost", "fedex"}
        assert choice["chosen"]["rate"]["price"] == {"amount": 916, "currency": "USD"}
        assert shipment["lines"] == {line_id: 1}
    assert [s["tracking_number"] for s in shipments] == [FIRST_TRACKING, SECOND_TRACKING]
    assert await status_of(hub, order.id) == OrderStatus.SHIPPED.value
    async with hub.read() as session:
        labels = list(await session.scalars(sa.select(LabelRow)))
        stock = {
            lv.location: (lv.on_hand, lv.reserved) for lv in await levels(session, skus=["TEE"])
        }
    assert sorted((lbl.status, lbl.tracking_number) for lbl in labels) == [
        ("purchased", FIRST_TRACKING),
        ("purchased", SECOND_TRACKING),
    ]
    assert stock == {"WH1": (0, 0), "WH2": (4, 0)}  # WH1's missing unit was written off
    label = await client.get(f"/shipments/{shipments[0]['id']}/label", headers=warehouse)
    assert label.headers["content-type"] == "application/pdf" and label.content == PDF

    # -- ship confirmations: in the outbox for the channel, then sent ----------------------
    async with hub.read() as session:
        pushes = list(
            await session.scalars(
                sa.select(OutboxRow).where(OutboxRow.operation == "push_fulfillment")
            )
        )
    assert sorted(row.idempotency_key for row in pushes) == sorted(
        f"fulfillment:{s['id']}" for s in shipments
    )
    await drain(hub)
    notices = sorted(hub.connector("shop").notices, key=lambda n: n.tracking_number)
    assert [(n.order_external_id, n.lines, n.carrier, n.tracking_number) for n in notices] == [
        ("5001", {"gid-line-1": 1}, "USPS", FIRST_TRACKING),
        ("5001", {"gid-line-1": 1}, "USPS", SECOND_TRACKING),
    ]

    # -- tracking: EasyPost's tracker.updated webhooks, signed, to delivered ---------------
    for shipment_id, tracking in ((FIRST_ID, FIRST_TRACKING), (SECOND_ID, SECOND_TRACKING)):
        event = fixture(
            "easypost/event_tracker_updated.json",
            **{FIRST_ID: shipment_id, FIRST_TRACKING: tracking},
        )
        event["id"] = f"evt_{tracking}"
        body = json.dumps(event).encode()
        received = await client.post(
            "/webhooks/easypost",
            content=body,
            headers={"Content-Type": "application/json", "X-Hmac-Signature": sign(body)},
        )
        assert received.status_code == 200, received.text
    forged = await client.post(
        "/webhooks/easypost", content=body, headers={"X-Hmac-Signature": "hmac-sha256-hex=00"}
    )
    assert forged.status_code == 401
    await drain(hub)

    for shipment in shipments:
        detail = (await client.get(f"/shipments/{shipment['id']}", headers=operator)).json()
        assert detail["tracking_status"] == "delivered"
        assert [e["status"] for e in detail["events"]] == [
            "pre_transit",
            "in_transit",
            "out_for_delivery",
            "delivered",
        ]
    assert await status_of(hub, order.id) == OrderStatus.DELIVERED.value
    async with hub.read() as session:
        orphans = await session.scalar(
            sa.select(sa.func.count())
            .select_from(TrackingEventRow)
            .where(TrackingEventRow.shipment_id.is_(None))
        )
        actions = list(
            await session.scalars(
                sa.select(OrderHistoryRow.action)
                .where(OrderHistoryRow.order_id == order.id)
                .order_by(OrderHistoryRow.id)
            )
        )
    assert orphans == 0
    path = [
        a
        for a in actions
        if a
        in (
            "allocated",
            "fulfillment_released",
            "picks_confirmed",
            "packed",
            "label_purchased",
            "shipped",
        )
    ]
    assert path == [
        "allocated",
        "fulfillment_released",
        "picks_confirmed",
        "allocated",
        "fulfillment_released",
        "picks_confirmed",
        "packed",
        "packed",
        "label_purchased",
        "shipped",
        "label_purchased",
        "shipped",
    ]
