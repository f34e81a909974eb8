"""Webhook intake: HMAC verification on the raw body, then decoding into canonical changes.

Both steps are pure (no network, no database). Verification is what decides whether the hub
stores anything at all, so it rejects everything it cannot prove came from this store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import msgspec

from orderhub.connectors.shopify import canonical, payloads, rest_mapping
from orderhub.connectors.shopify.ids import to_gid
from orderhub.core.connection import Connection
from orderhub.core.connectors import (
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
)

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
TOPICS = (*ORDER_TOPICS, "refunds/create", "inventory_levels/update", "app/uninstalled")
"""Every topic the connector subscribes to and decodes."""


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    # HTTP/2 lower-cases header names; HTTP/1.1 proxies may not. Compare without case.
    return {name.lower(): value for name, value in headers.items()}


def signature(body: bytes, secret: str) -> str:
    """What Shopify puts in X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(request: WebhookRequest, *, secret: str, shop_domain: str) -> WebhookEnvelope:
    """Prove the request came from this store; raise `WebhookRejected` otherwise."""
    headers = _lower(request.headers)
    sent = headers.get("x-shopify-hmac-sha256")
    if not sent:
        raise WebhookRejected("missing X-Shopify-Hmac-Sha256 header")
    try:
        sent_digest = base64.b64decode(sent.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookRejected("X-Shopify-Hmac-Sha256 is not base64") from exc
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).digest()
    if not hmac.compare_digest(sent_digest, expected):
        raise WebhookRejected("HMAC signature does not match the body")
    domain = headers.get("x-shopify-shop-domain", "").strip().lower()
    if domain != shop_domain.lower():
        raise WebhookRejected(
            f"X-Shopify-Shop-Domain {domain or '(missing)'!r} is not this connection's store"
        )
    topic = headers.get("x-shopify-topic", "").strip()
    if not topic:
        raise WebhookRejected("missing X-Shopify-Topic header")
    delivery = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
    if not delivery:
        # Without an id the body itself is the identity: the same bytes are the same event.
        delivery = "sha256:" + hashlib.sha256(request.body).hexdigest()
    try:
        occurred_at = canonical.parse_time(headers.get("x-shopify-triggered-at"), "triggered-at")
    except PayloadError:
        occurred_at = None
    # One merchant action can raise several topics that share an Event-Id; the topic keeps
    # orders/paid from being dropped as a duplicate of orders/create.
    return WebhookEnvelope(event_id=f"{topic}:{delivery}", topic=topic, occurred_at=occurred_at)


def _decode(body: bytes, kind: type[Any], topic: str) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:
        raise PayloadError(f"{topic}: body is not valid JSON: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise PayloadError(f"{topic}: {exc}") from exc


def location_ref(location_id: int | str, connection: Connection) -> str:
    """The location id in the spelling the connection's location map uses (GID or number)."""
    gid = to_gid("Location", location_id)
    if gid in connection.locations:
        return gid
    return str(location_id)


def decode(event: InboundEvent, connection: Connection) -> list[InboundChange]:
    """Translate one verified delivery into canonical changes."""
    topic = event.topic
    conn = connection.id
    if topic in ORDER_TOPICS:
        body = _decode(event.body, payloads.Order, topic)
        order = rest_mapping.order(body, conn)
        changes: list[InboundChange] = [OrderObserved(order=order)]
        if topic == "orders/cancelled" or body.cancelled_at:
            changes.append(
                OrderCancelObserved(
                    connection=conn,
                    external_id=order.external_id,
                    reason=order.cancel_reason,
                    at=canonical.parse_time(body.cancelled_at, "cancelled_at"),
                )
            )
        return changes
    if topic == "refunds/create":
        return [rest_mapping.refund(_decode(event.body, payloads.Refund, topic), conn)]
    if topic == "inventory_levels/update":
        level = _decode(event.body, payloads.InventoryLevel, topic)
        if level.available is None:
            return []  # the item is not tracked at that location: nothing to count
        return [rest_mapping.stock(level, conn, location_ref(level.location_id, connection))]
    if topic == "app/uninstalled":
        shop = _decode(event.body, payloads.Shop, topic)
        domain = shop.myshopify_domain or shop.domain or "the store"
        return [ConnectionRevoked(connection=conn, reason=f"app uninstalled from {domain}")]
    raise PayloadError(f"topic {topic!r} is not one the Shopify connector handles")
