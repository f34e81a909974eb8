"""A small signed test channel, a connection to it, and helpers to drive webhooks and workers.

`testshop` signs bodies with HMAC-SHA256 (hex) in `X-Testshop-Signature`, names each delivery
in `X-Testshop-Event-Id` and its kind in `X-Testshop-Topic`, and sends JSON. Its push methods
record their calls and play a script of outcomes a test sets (an exception to raise, or a
value to return), so outbox tests can make the provider fail and recover.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import msgspec
import pytest
import sqlalchemy as sa
from arq import Worker

from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    InboundEvent,
    PayloadError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import (
    ConnectionRevoked,
    InboundChange,
    OrderCancelObserved,
    OrderObserved,
    RefundObserved,
    StockObserved,
)
from orderhub.core.model import FinancialStatus, Item, Location, Money, Order, OrderLine
from orderhub.core.testing import FakeChannel, connector_plugin
from orderhub.hub.catalog.service import upsert_item
from orderhub.hub.locations.service import upsert_location
from orderhub.hub.store.tables import InboxRow, OrderHistoryRow, OrderRow, OutboxRow
from orderhub.hub.worker import worker_settings

SECRET = "whsec-test-0123456789"
CONNECTION = "shop"


class ShopSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    secret: str


class ShopLine(msgspec.Struct, kw_only=True):
    id: str
    sku: str | None = None
    title: str
    quantity: int
    price: str


class ShopOrder(msgspec.Struct, kw_only=True):
    id: str
    name: str
    currency: str
    created_at: datetime
    updated_at: datetime
    financial_status: str = "pending"
    email: str | None = None
    note: str | None = None
    tags: list[str] = []
    line_items: list[ShopLine]


class ShopCancel(msgspec.Struct, kw_only=True):
    id: str
    reason: str | None = None


class ShopRefund(msgspec.Struct, kw_only=True):
    id: str
    order_id: str
    amount: str
    currency: str


class ShopInventory(msgspec.Struct, kw_only=True):
    location_id: str
    sku: str | None = None
    inventory_item_id: str | None = None
    available: int


class ShopChannel(FakeChannel):
    """Verifies and decodes its signed webhooks; its pushes are `FakeChannel`'s, recorded in
    `calls` and answered from `script`."""

    name: ClassVar[str] = "testshop"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.RECEIVE_WEBHOOKS,
            Capability.PUSH_STOCK,
            Capability.PUSH_CANCELLATION,
            Capability.PUSH_FULFILLMENT,
            Capability.PUSH_REFUND,
        }
    )
    Settings: ClassVar[type[msgspec.Struct]] = ShopSettings

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None:
        super().__init__(connection, http=http)
        self.secret: str = connection.settings.secret
        self.decoded = 0

    # -------------------------------------------------------------------- webhooks

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        given = request.headers.get("x-testshop-signature", "")
        expected = hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise WebhookRejected("bad X-Testshop-Signature")
        event_id = request.headers.get("x-testshop-event-id")
        if not event_id:
            raise PayloadError("no X-Testshop-Event-Id")
        return WebhookEnvelope(
            event_id=event_id, topic=request.headers.get("x-testshop-topic", "orders/updated")
        )

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        self.decoded += 1
        conn = self.connection.id
        try:
            if event.topic in ("orders/create", "orders/updated"):
                return [
                    OrderObserved(
                        order=self._order(msgspec.json.decode(event.body, type=ShopOrder))
                    )
                ]
            if event.topic == "orders/cancelled":
                cancel = msgspec.json.decode(event.body, type=ShopCancel)
                return [
                    OrderCancelObserved(
                        connection=conn, external_id=cancel.id, reason=cancel.reason
                    )
                ]
            if event.topic == "refunds/create":
                refund = msgspec.json.decode(event.body, type=ShopRefund)
                return [
                    RefundObserved(
                        connection=conn,
                        order_external_id=refund.order_id,
                        refund_id=refund.id,
                        amount=Money.parse(refund.amount, refund.currency),
                    )
                ]
            if event.topic == "inventory_levels/update":
                level = msgspec.json.decode(event.body, type=ShopInventory)
                return [
                    StockObserved(
                        connection=conn,
                        location_ref=level.location_id,
                        sku=level.sku,
                        item_ref=level.inventory_item_id,
                        quantity=level.available,
                    )
                ]
            if event.topic == "app/uninstalled":
                return [ConnectionRevoked(connection=conn, reason="app uninstalled")]
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PayloadError(f"{event.topic}: {exc}") from exc
        raise PayloadError(f"unknown topic {event.topic!r}")

    def _order(self, data: ShopOrder) -> Order:
        return Order(
            connection=self.connection.id,
            external_id=data.id,
            number=data.name,
            currency=data.currency,
            placed_at=data.created_at,
            financial_status=FinancialStatus(data.financial_status),
            notes=data.note,
            tags=data.tags,
            source_updated_at=data.updated_at,
            lines=[
                OrderLine(
                    sku=line.sku,
                    name=line.title,
                    quantity=line.quantity,
                    unit_price=Money.parse(line.price, data.currency),
                    external_id=line.id,
                )
                for line in data.line_items
            ],
        )


@pytest.fixture
def extra_plugins() -> list[Any]:
    return [connector_plugin(ShopChannel)]


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {
        # Only the built-in plugins from entry points: these tests need no other package.
        "plugins": {"allow": ["manual", "spreadsheet"]},
        "connections": {
            CONNECTION: {
                "connector": "testshop",
                "settings": {"secret": SECRET},
                "locations": {"gid-loc-1": "WH1", "gid-loc-9": "NOWHERE"},
            }
        },
        "worker": {
            "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.2,
            "max_attempts": 3,
            "stale_after_seconds": 30,
        },
    }


@pytest.fixture
async def catalog(hub: Any) -> None:
    async with hub.transaction() as session:
        await upsert_item(session, Item(sku="TEE-M", name="T-shirt M"))
        await upsert_item(session, Item(sku="MUG", name="Mug"))
        await upsert_location(session, Location(code="WH1", name="Main warehouse"))


# ---------------------------------------------------------------------------- helpers


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def order_payload(
    external_id: str = "5001",
    *,
    updated_at: str = "2025-03-01T10:00:00Z",
    financial_status: str = "pending",
    tags: list[str] | None = None,
    note: str | None = None,
    sku: str = "TEE-M",
) -> dict[str, Any]:
    return {
        "id": external_id,
        "name": f"#{external_id}",
        "currency": "EUR",
        "created_at": "2025-03-01T09:59:00Z",
        "updated_at": updated_at,
        "financial_status": financial_status,
        "email": "ada@example.com",
        "note": note,
        "tags": tags or [],
        "line_items": [
            {
                "id": f"li-{external_id}",
                "sku": sku,
                "title": "T-shirt",
                "quantity": 2,
                "price": "19.99",
            }
        ],
    }


async def post_event(
    client: Any,
    payload: dict[str, Any] | bytes,
    *,
    event_id: str,
    topic: str = "orders/updated",
    signature: str | None = None,
    connection: str = CONNECTION,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Testshop-Event-Id": event_id,
        "X-Testshop-Topic": topic,
        "X-Testshop-Signature": sign(body) if signature is None else signature,
    }
    return await client.post(f"/webhooks/{connection}", content=body, headers=headers)


async def drain(hub: Any) -> Worker:
    """Run a burst worker on the hub's queue until nothing is queued (deferred retries too)."""
    worker = Worker(**worker_settings(hub), burst=True, poll_delay=0.01, handle_signals=False)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=120)
    finally:
        await worker.close()
    return worker


async def rows(hub: Any, model: Any, *where: Any) -> list[Any]:
    async with hub.read() as session:
        primary_key = sa.inspect(model).primary_key
        return list(await session.scalars(sa.select(model).where(*where).order_by(*primary_key)))


async def inbox_rows(hub: Any) -> list[InboxRow]:
    return await rows(hub, InboxRow)


async def outbox_rows(hub: Any) -> list[OutboxRow]:
    return await rows(hub, OutboxRow)


async def order_rows(hub: Any) -> list[OrderRow]:
    return await rows(hub, OrderRow)


async def history_actions(hub: Any, order_id: str) -> list[str]:
    """What the connection itself did to the order; intake's own checks and routing (system
    entries) are not what these tests are about."""
    found = await rows(
        hub,
        OrderHistoryRow,
        OrderHistoryRow.order_id == order_id,
        OrderHistoryRow.actor_kind == "connection",
    )
    return [entry.action for entry in found]
