"""Fulfillment test material: a channel that takes ship confirmations, a WMS, two carrier
connections (EasyPost and FedEx, the real connectors), three US locations with stock, orders
allocated by the real allocation engine, and the carrier package's real-shaped fixtures.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
import respx
import sqlalchemy as sa
from arq import Worker

from orderhub.core.connectors import Capability
from orderhub.core.model import (
    Actor,
    ActorKind,
    Address,
    Customer,
    FinancialStatus,
    Item,
    Location,
    LocationKind,
    Money,
    Order,
    OrderLine,
    ShippingLine,
)
from orderhub.core.testing import FakeChannel, FakeWms, connector_plugin
from orderhub.hub.allocation.intake import accept_order
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.fulfillment.jobs import release_once
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.stock.service import set_on_hand
from orderhub.hub.store.tables import (
    FulfillmentRow,
    OrderHistoryRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    ReservationRow,
    ShipmentRow,
)
from orderhub.hub.worker import worker_settings

CARRIER_FIXTURES = (
    Path(__file__).resolve().parents[3] / "connectors" / "carriers" / "tests" / "fixtures"
)
EASYPOST = "https://api.easypost.com/v2"
FEDEX = "https://apis.fedex.com"
EASYPOST_SECRET = "whsec-ﬁve-Ω"
"""Has characters NFKD changes, as EasyPost's own client libraries normalise them."""
EP_SHIPMENT = "shp_490d50bd449442edb36f75e2937b32e8"
EP_TRACKING = "9461200106068143633094"
PDF_URL = "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20221017/d8f58ee193b24f9fadffae791f85d5f0.pdf"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SHOP = "shop"


def fixture(name: str) -> Any:
    return json.loads((CARRIER_FIXTURES / name).read_bytes())


# ------------------------------------------------------------------------- connectors


class ShopChannel(FakeChannel):
    """A channel that takes ship confirmations and records them."""

    name: ClassVar[str] = "fulfiltest-shop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_FULFILLMENT})

    @property
    def notices(self) -> list[Any]:
        return self.called("push_fulfillment")


class Warehouse3pl(FakeWms):
    """A WMS that takes fulfillment orders and records them."""

    name: ClassVar[str] = "fulfiltest-wms"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SEND_FULFILLMENT_ORDERS})

    @property
    def orders(self) -> list[Any]:
        return self.called("send_fulfillment_order")


class StockFeed(FakeChannel):
    """A channel told how much it may sell (availability pushes)."""

    name: ClassVar[str] = "fulfiltest-feed"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PUSH_STOCK})

    @property
    def notices(self) -> list[Any]:
        return [update for updates in self.called("push_stock") for update in updates]


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(ShopChannel, StockFeed, Warehouse3pl)]


@pytest.fixture
def fulfillment_config() -> dict[str, Any]:
    """Override to change `[fulfillment]`."""
    return {}


@pytest.fixture
def hub_config(fulfillment_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "plugins": {"allow": ["manual", "spreadsheet", "carriers"]},
        "connections": {
            SHOP: {"connector": "fulfiltest-shop"},
            "easypost": {
                "connector": "easypost",
                "settings": {
                    "api_key": "EZTK151720b5bbc44c4fb6d2c2f5a2c1ab71",
                    "webhook_secret": EASYPOST_SECRET,
                },
            },
            "fedex": {
                "connector": "fedex",
                "settings": {
                    "client_id": "l7xx1cb26690fadd4b2789e0888a96b80ee2",
                    "client_secret": "s3cr3t",
                    "account_number": "740561073",
                },
            },
            "wms": {"connector": "fulfiltest-wms", "locations": {"loc-77": "3PL"}},
        },
        "worker": {"backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
        "fulfillment": fulfillment_config,
    }


# ---------------------------------------------------------------------------- places

WAREHOUSE_SF = Address(
    name="EasyPost",
    line1="417 Montgomery Street",
    line2="5th Floor",
    city="San Francisco",
    region="CA",
    postal_code="94104",
    country="US",
    phone="4153334445",
    email="support@easypost.com",
)
WAREHOUSE_OAKLAND = Address(
    company="Shop Annex",
    line1="1 Broadway",
    city="Oakland",
    region="CA",
    postal_code="94607",
    country="US",
    phone="5105550100",
)
CUSTOMER = Address(
    name="Dr. Steve Brule",
    line1="179 N Harbor Dr",
    city="Redondo Beach",
    region="CA",
    postal_code="90277",
    country="US",
    phone="8573875756",
    email="dr_steve_brule@gmail.com",
)


@pytest.fixture
async def places(hub: Any) -> None:
    """Items TEE and MUG; WH1 (first choice), WH2 and a 3PL, all in California."""
    async with hub.transaction() as session:
        await upsert_item(session, Item(sku="TEE", name="T-shirt", weight_grams=200))
        await upsert_item(session, Item(sku="MUG", name="Mug", weight_grams=350))
        await upsert_location(
            session, Location(code="WH1", name="San Francisco", priority=10, address=WAREHOUSE_SF)
        )
        await upsert_location(
            session, Location(code="WH2", name="Oakland", priority=20, address=WAREHOUSE_OAKLAND)
        )
        await upsert_location(
            session,
            Location(
                code="3PL",
                name="Fulfillment partner",
                kind=LocationKind.THREE_PL,
                priority=30,
                address=WAREHOUSE_OAKLAND,
            ),
        )


async def stock(hub: Any, **levels: dict[str, int]) -> None:
    """`stock(hub, WH1={"TEE": 2}, WH2={"TEE": 5})`."""
    async with hub.transaction() as session:
        for location, counts in levels.items():
            for sku, quantity in counts.items():
                await set_on_hand(session, sku, location, quantity)


CHANNEL = Actor(kind=ActorKind.CONNECTION, name=SHOP)


async def allocated_order(
    hub: Any,
    lines: list[tuple[str, int]],
    *,
    external_id: str = "1001",
    service_level: str = "standard",
    financial_status: FinancialStatus = FinancialStatus.PAID,
    address: Address = CUSTOMER,
) -> Order:
    """An order from the shop channel, through the real intake: checked, routed, reserved."""
    order = Order(
        connection=SHOP,
        external_id=external_id,
        number=f"#{external_id}",
        currency="USD",
        placed_at=datetime.now(UTC),
        financial_status=financial_status,
        customer=Customer(email=f"customer-{external_id}@example.com", name="Dr. Steve Brule"),
        shipping_address=address,
        shipping_lines=[
            ShippingLine(
                title=service_level.title(), code=service_level, price=Money.parse("5.00", "USD")
            )
        ],
        lines=[
            OrderLine(
                sku=sku,
                name=sku.title(),
                quantity=quantity,
                unit_price=Money.parse("19.99", "USD"),
                external_id=f"li-{external_id}-{index}",
            )
            for index, (sku, quantity) in enumerate(lines)
        ],
    )
    async with hub.transaction() as session:
        return await accept_order(hub, session, order, actor=CHANNEL, reject_unknown_skus=True)


async def released_group(hub: Any, order_id: str, location: str = "WH1") -> str:
    """Run the release job; the id of the order's released group at `location`."""
    await release_once(hub)
    groups = await groups_of(hub, order_id)
    return next(g.id for g in groups if g.location == location and g.status == "released")


# ----------------------------------------------------------------------------- reads


async def rows(hub: Any, model: Any, *where: Any) -> list[Any]:
    async with hub.read() as session:
        keys = sa.inspect(model).primary_key
        return list(await session.scalars(sa.select(model).where(*where).order_by(*keys)))


async def groups_of(hub: Any, order_id: str) -> list[Any]:
    from orderhub.hub.fulfillment.records import fulfillment_views

    async with hub.read() as session:
        found = list(
            await session.scalars(
                sa.select(FulfillmentRow)
                .where(FulfillmentRow.order_id == order_id)
                .order_by(FulfillmentRow.planned_at, FulfillmentRow.id)
            )
        )
        return await fulfillment_views(session, found)


async def order_row(hub: Any, order_id: str) -> OrderRow:
    async with hub.read() as session:
        row = await session.get(OrderRow, order_id)
        assert row is not None
        return row


async def order_lines(hub: Any, order_id: str) -> list[OrderLineRow]:
    return await rows(hub, OrderLineRow, OrderLineRow.order_id == order_id)


async def active_reservations(hub: Any, order_id: str) -> list[tuple[str, int, int]]:
    """(line id, location id, quantity) of the order's active reservations."""
    found = await rows(
        hub, ReservationRow, ReservationRow.order_id == order_id, ReservationRow.status == "active"
    )
    return [(r.line_id, r.location_id, r.quantity) for r in found]


async def shipments_of(hub: Any, order_id: str) -> list[ShipmentRow]:
    """In the order they were packed."""
    async with hub.read() as session:
        return list(
            await session.scalars(
                sa.select(ShipmentRow)
                .where(ShipmentRow.order_id == order_id)
                .order_by(ShipmentRow.created_at, ShipmentRow.position)
            )
        )


async def history(hub: Any, order_id: str) -> list[OrderHistoryRow]:
    return await rows(hub, OrderHistoryRow, OrderHistoryRow.order_id == order_id)


async def outbox(hub: Any, operation: str) -> list[OutboxRow]:
    return await rows(hub, OutboxRow, OutboxRow.operation == operation)


async def drain(hub: Any) -> None:
    """Run a burst worker until nothing is queued."""
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()


# ------------------------------------------------------------------------ carriers (respx)


def easypost_signature(body: bytes, secret: str = EASYPOST_SECRET) -> str:
    """EasyPost's scheme, written out here rather than borrowed from the connector."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def easypost_shipment(shipment_id: str = EP_SHIPMENT, tracking: str = EP_TRACKING) -> dict:
    """EasyPost's bought-shipment example, under another id and tracking code if asked."""
    body = fixture("easypost/shipment_buy.json")
    if shipment_id != EP_SHIPMENT or tracking != EP_TRACKING:
        body = json.loads(
            json.dumps(body).replace(EP_SHIPMENT, shipment_id).replace(EP_TRACKING, tracking)
        )
    return body


def tracker_event(
    tracking: str = EP_TRACKING, shipment_id: str = EP_SHIPMENT, *, statuses: int | None = None
) -> dict:
    """EasyPost's `tracker.updated` example; `statuses` keeps only the first N scans."""
    event = copy.deepcopy(fixture("easypost/event_tracker_updated.json"))
    result = event["result"]
    result["tracking_code"] = tracking
    result["shipment_id"] = shipment_id
    if statuses is not None:
        result["tracking_details"] = result["tracking_details"][:statuses]
        result["status"] = result["tracking_details"][-1]["status"]
    event["id"] = f"evt_{tracking[-6:]}_{statuses or 'all'}"
    return event


def mock_carriers(router: respx.Router) -> dict[str, respx.Route]:
    """EasyPost and FedEx answering rates, a label and tracking, in their documented shapes."""
    ep_shipments = router.post(f"{EASYPOST}/shipments").respond(
        201, json=fixture("easypost/shipment_create.json")
    )
    ep_buy = router.post(f"{EASYPOST}/shipments/{EP_SHIPMENT}/buy").respond(
        200, json=easypost_shipment()
    )
    ep_convert = router.get(f"{EASYPOST}/shipments/{EP_SHIPMENT}/label").respond(
        200, json=fixture("easypost/shipment_label_pdf.json")
    )
    ep_pdf = router.get(PDF_URL).respond(200, content=PDF)
    fx_token = router.post(f"{FEDEX}/oauth/token").respond(
        200, json=fixture("fedex/oauth_token.json")
    )
    fx_rates = router.post(f"{FEDEX}/rate/v1/rates/quotes").respond(
        200, json=fixture("fedex/rate_quotes.json")
    )
    return {
        "ep_shipments": ep_shipments,
        "ep_buy": ep_buy,
        "ep_convert": ep_convert,
        "ep_pdf": ep_pdf,
        "fx_token": fx_token,
        "fx_rates": fx_rates,
    }
