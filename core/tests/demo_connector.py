"""A minimal, correct channel connector that the kit's own tests run the kit against.

Its webhook format is OrderHub's own test format (no real provider): a JSON order signed
with a hex HMAC-SHA256 of the body in ``x-demo-signature``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import msgspec

from orderhub.core.connection import Connection
from orderhub.core.connectors import (
    Capability,
    ConnectorKind,
    HealthReport,
    InboundEvent,
    PayloadError,
    WebhookEnvelope,
    WebhookRejected,
    WebhookRequest,
)
from orderhub.core.events import InboundChange, OrderObserved
from orderhub.core.hookspecs import hookimpl
from orderhub.core.model import Order, OrderLine
from orderhub.core.money import Money
from orderhub.core.testing import sign_hmac_sha256, webhook_request


class DemoSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    webhook_secret: str
    shop: str = "demo"


class _Line(msgspec.Struct):
    sku: str
    qty: int
    price: str


class _Order(msgspec.Struct):
    id: str
    number: str
    currency: str
    placed_at: datetime
    lines: list[_Line]


class DemoChannel:
    name: ClassVar[str] = "demo"
    kind: ClassVar[ConnectorKind] = ConnectorKind.CHANNEL
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.RECEIVE_WEBHOOKS})
    Settings: ClassVar[type[msgspec.Struct]] = DemoSettings

    def __init__(self, connection: Connection, *, http: Any | None = None) -> None:
        self.connection = connection
        self.settings: DemoSettings = connection.settings
        self.closed = False

    async def health(self) -> HealthReport:
        return HealthReport(ok=True)

    async def aclose(self) -> None:
        self.closed = True

    def verify_webhook(self, request: WebhookRequest) -> WebhookEnvelope:
        signature = request.headers.get("x-demo-signature", "")
        expected = sign_hmac_sha256(self.settings.webhook_secret, request.body, encoding="hex")
        if not signature or not hmac.compare_digest(signature, expected):
            raise WebhookRejected("bad or missing x-demo-signature")
        return WebhookEnvelope(
            event_id=request.headers.get(
                "x-demo-event-id", hashlib.sha256(request.body).hexdigest()
            ),
            topic=request.headers.get("x-demo-topic", "order"),
        )

    def decode_webhook(self, event: InboundEvent) -> Sequence[InboundChange]:
        try:
            raw = msgspec.json.decode(event.body, type=_Order)
        except msgspec.DecodeError as exc:
            raise PayloadError(f"not a demo order: {exc}") from exc
        order = Order(
            connection=self.connection.id,
            external_id=raw.id,
            number=raw.number,
            currency=raw.currency,
            placed_at=raw.placed_at,
            lines=[
                OrderLine(
                    sku=line.sku,
                    name=line.sku,
                    quantity=line.qty,
                    unit_price=Money.parse(line.price, raw.currency),
                    external_id=f"{raw.id}-{i}",
                )
                for i, line in enumerate(raw.lines)
            ],
        )
        return [OrderObserved(order=order)]


def demo_order(order_id: str = "1001") -> dict[str, Any]:
    return {
        "id": order_id,
        "number": f"#{order_id}",
        "currency": "EUR",
        "placed_at": "2025-03-14T09:26:53Z",
        "lines": [{"sku": "TSHIRT-M", "qty": 2, "price": "19.99"}],
    }


def signed(secret: str, body: dict[str, Any], event_id: str = "evt-1") -> WebhookRequest:
    raw = msgspec.json.encode(body)
    return webhook_request(
        raw,
        {
            "X-Demo-Signature": sign_hmac_sha256(secret, raw, encoding="hex"),
            "X-Demo-Event-Id": event_id,
            "X-Demo-Topic": "orders/create",
        },
    )


@hookimpl
def orderhub_register_connectors(register):  # type: ignore[no-untyped-def]
    register(DemoChannel)
